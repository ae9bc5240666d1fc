// run_current.cypher: the run that queries read, if any.
//
// Parameters: $namespace (the mapping's output namespace).
// Returns: run (all its properties as a map).
MATCH (r:${RecommendationRun} {namespace: $namespace, current: true})
RETURN properties(r) AS run
