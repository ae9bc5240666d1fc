// runs_list.cypher: run history, newest first (what `socialrec runs` prints).
//
// Parameters: $namespace, $limit.
// Returns: run (all properties of each RecommendationRun as a map).
MATCH (r:${RecommendationRun} {namespace: $namespace})
RETURN properties(r) AS run
ORDER BY r.started_at DESC
LIMIT $limit
