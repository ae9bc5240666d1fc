// recommend.cypher: a user's top-K recommendations from the current run.
//
// Parameters: $namespace (the mapping's output namespace, see
// `socialrec inspect`), $user (user id), $k (how many).
// Returns: item (id), name (its display name, or null), score, rank (1 = best), because (ids of up
// to 3 friends who interacted with the item, heaviest interaction first, as explain.cypher lists
// them), run_id, model.
// Only the current RecommendationRun is read (a run being written, or a failed
// one, is invisible). Items the user has interacted with since the run was
// scored are skipped, so a fresh listen does not come back as a suggestion.
MATCH (run:${RecommendationRun} {namespace: $namespace, current: true})
MATCH (u:${User} {${user_id}: $user})-[rec:${RECOMMENDED}]->(i:${Item})
WHERE rec.run_id IN run.serves
  AND NOT EXISTS { (u)-[:${INTERACTED}]->(i) }
WITH u, i, rec
ORDER BY rec.rank
LIMIT $k
// read from the graph now rather than stored on each relationship (see
// write_recommendations.cypher): DISTINCT friends, whichever direction a
// friendship is stored in, each with their heaviest interaction with the item
CALL (u, i) {
  MATCH (u)-[:${FRIENDS_WITH}]-(f:${User})
  WHERE f <> u
  WITH DISTINCT f
  MATCH (f)-[x:${INTERACTED}]->(i)
  WITH f, max(x.${weight}) AS weight
  ORDER BY weight DESC, f.${user_id}
  RETURN collect(f.${user_id})[..3] AS because
}
// the model of the run that wrote the row (an incremental run serves older runs' rows;
// relationships written before the run node held it carry their own)
OPTIONAL MATCH (source:${RecommendationRun} {id: rec.run_id})
RETURN i.${item_id} AS item, i.${item_name} AS name, rec.score AS score, rec.rank AS rank, because,
       rec.run_id AS run_id, coalesce(source.model, rec.model) AS model
ORDER BY rank
