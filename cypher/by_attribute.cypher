// by_attribute.cypher: a user's best items among those with one attribute.
//
// Parameters: $namespace (the mapping's output namespace), $user (user id),
// $attribute (attribute id), $kind (its kind, e.g. "genre"; null matches any
// kind: an attribute is identified by kind and id), $k.
// Returns: item (id), score (the model's score: inner product of the stored
// user and item embeddings of the current run, the same number as
// RECOMMENDED.score), rank (its rank among the user's stored
// recommendations, or null).
// Every item with the attribute is scored, not only the stored top-K, so a
// niche attribute still gets a full list.
MATCH (run:${RecommendationRun} {namespace: $namespace, current: true})
MATCH (u:${User} {${user_id}: $user})
WHERE u[run.embedding_property] IS NOT NULL
WITH run, u, u[run.embedding_property] AS ue
MATCH (a:${Attribute} {${attribute_id}: $attribute})<-[:${HAS_ATTRIBUTE}]-(i:${Item})
WHERE ($kind IS NULL OR a.${attribute_kind} = $kind)
  AND i[run.embedding_property] IS NOT NULL
  AND NOT EXISTS { (u)-[:${INTERACTED}]->(i) }
WITH run, u, i, ue, i[run.embedding_property] AS ie
WITH run, u, i, reduce(s = 0.0, d IN range(0, size(ue) - 1) | s + ue[d] * ie[d]) AS score
ORDER BY score DESC
LIMIT $k
OPTIONAL MATCH (u)-[rec:${RECOMMENDED}]->(i)
WHERE rec.run_id IN run.serves
RETURN i.${item_id} AS item, score, rec.rank AS rank
ORDER BY score DESC
