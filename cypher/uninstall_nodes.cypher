// uninstall_nodes.cypher: delete socialrec's own run and lock nodes.
//
// Parameters: $namespace (one namespace), or null for every namespace;
// $lock (the namespace's lock name). Only RecommendationRun and SocialrecLock
// nodes, which only socialrec creates, are deleted; their relationships are
// gone already (uninstall_runs.cypher / run_delete_recommendations.cypher).
MATCH (n)
WHERE (n:${RecommendationRun} AND ($namespace IS NULL OR n.namespace = $namespace))
   OR (n:${SocialrecLock} AND ($namespace IS NULL OR n.name = $lock))
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
