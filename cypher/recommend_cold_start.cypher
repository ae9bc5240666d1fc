// recommend_cold_start.cypher: recommendations for a user the last run did not score.
//
// Parameters: $namespace (the mapping's output namespace, see
// `socialrec inspect`), $user (user id), $k (how many).
// Returns: item (id), score (cosine similarity), because (friends who
// interacted with the item).
// No retraining: the user's embedding is formed in the database as the mean of
// the current run's stored embeddings of their friends and of the items they
// interacted with (the rule socialrec's Scorer uses for new nodes), and the
// current run's item vector index finds the nearest items. Returns nothing
// when the user has neither friends nor items with embeddings: then use
// popular_fallback.cypher.
MATCH (run:${RecommendationRun} {namespace: $namespace, current: true})
MATCH (u:${User} {${user_id}: $user})
CALL (u, run) {
  MATCH (u)-[:${FRIENDS_WITH}]-(f:${User})
  WHERE f <> u AND f[run.embedding_property] IS NOT NULL
  WITH DISTINCT f  // a friendship stored in both directions counts once
  RETURN collect(f[run.embedding_property]) AS friend_vectors
}
CALL (u, run) {
  MATCH (u)-[:${INTERACTED}]->(i:${Item})
  WHERE i[run.embedding_property] IS NOT NULL
  WITH DISTINCT i
  RETURN collect(i[run.embedding_property]) AS item_vectors, count(i) AS seen
}
WITH run, u, seen, friend_vectors + item_vectors AS vectors
WHERE size(vectors) > 0
WITH run, u, seen,
     [d IN range(0, size(vectors[0]) - 1) | reduce(s = 0.0, v IN vectors | s + v[d]) / size(vectors)]
       AS query_vector
CALL db.index.vector.queryNodes(run.item_index, $k + seen, query_vector)
YIELD node AS i, score
WHERE NOT EXISTS { (u)-[:${INTERACTED}]->(i) }
WITH u, i, score
ORDER BY score DESC
LIMIT $k
CALL (u, i) {
  MATCH (u)-[:${FRIENDS_WITH}]-(f:${User})-[:${INTERACTED}]->(i)
  WHERE f <> u
  WITH DISTINCT f
  RETURN collect(f.${user_id})[..3] AS because
}
RETURN i.${item_id} AS item, i.${item_name} AS name, score, because
ORDER BY score DESC
