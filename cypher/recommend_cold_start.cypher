// recommend_cold_start.cypher: recommendations for a user the last run did not score.
//
// Parameters: $namespace (the mapping's output namespace, see
// `socialrec inspect`), $user (user id), $k (how many), $recency_days (the
// decay tau in days: null or 0 weighs everything alike; socialrec passes 90).
// Returns: item (id), name, score (cosine similarity), because (friends who
// interacted with the item).
// No retraining: the user's embedding is formed in the database from the
// current run's stored embeddings of the items they interacted with and of
// their friends (the rule socialrec's Scorer uses for new nodes), as a
// recency-weighted mean: an item weighs exp(-age / tau), its age counted back
// from the newest time in the mean, and a friend weighs the same by the age of
// their latest interaction, so what the user did lately and friends active
// lately count most. Interactions without a time weigh 1. The current run's
// item vector index finds the nearest items. Returns nothing when the user has
// neither friends nor items with embeddings: then use popular_fallback.cypher.
MATCH (run:${RecommendationRun} {namespace: $namespace, current: true})
MATCH (u:${User} {${user_id}: $user})
CALL (u, run) {
  MATCH (u)-[:${FRIENDS_WITH}]-(f:${User})
  WHERE f <> u AND f[run.embedding_property] IS NOT NULL
  WITH DISTINCT f  // a friendship stored in both directions counts once
  OPTIONAL MATCH (f)-[x:${INTERACTED}]->()
  WITH f, max(x.${timestamp}) AS t
  RETURN collect({v: f[run.embedding_property], t: t}) AS friend_sources
}
CALL (u, run) {
  MATCH (u)-[r:${INTERACTED}]->(i:${Item})
  WHERE i[run.embedding_property] IS NOT NULL
  WITH i, max(r.${timestamp}) AS t  // an item rated twice counts once, at its latest
  RETURN collect({v: i[run.embedding_property], t: t}) AS item_sources, count(i) AS seen
}
WITH run, u, seen, friend_sources + item_sources AS sources
WHERE size(sources) > 0
WITH run, u, seen, sources,
     reduce(newest = null, s IN sources |
       CASE WHEN s.t IS NOT NULL AND (newest IS NULL OR s.t > newest) THEN s.t ELSE newest END)
       AS newest
WITH run, u, seen,
     [s IN sources | {v: s.v, w: CASE
        WHEN $recency_days IS NULL OR $recency_days <= 0 OR s.t IS NULL THEN 1.0
        ELSE exp(-(newest - s.t) / (86400.0 * $recency_days)) END}] AS weighted
// the newest source weighs 1, so the total is at least 1
WITH run, u, seen, weighted, reduce(total = 0.0, s IN weighted | total + s.w) AS total
WITH run, u, seen,
     [d IN range(0, size(weighted[0].v) - 1) |
       reduce(acc = 0.0, s IN weighted | acc + s.w * s.v[d]) / total] AS query_vector
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
