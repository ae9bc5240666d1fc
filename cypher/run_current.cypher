// run_current.cypher: the run that queries read, if any.
//
// Returns: run (all its properties as a map).
MATCH (r:${RecommendationRun} {current: true})
RETURN properties(r) AS run
