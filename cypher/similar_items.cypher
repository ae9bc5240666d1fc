// similar_items.cypher: items nearest to an item in the current run's embedding space.
//
// Parameters: $namespace (the mapping's output namespace, see
// `socialrec inspect`), $item (item id), $k.
// Returns: item (id), score (cosine similarity, from the item vector index).
MATCH (run:${RecommendationRun} {namespace: $namespace, current: true})
MATCH (seed:${Item} {${item_id}: $item})
WHERE seed[run.embedding_property] IS NOT NULL
CALL db.index.vector.queryNodes(run.item_index, $k + 1, seed[run.embedding_property])
YIELD node, score
WHERE node <> seed
RETURN node.${item_id} AS item, score
ORDER BY score DESC
LIMIT $k
