// uninstall_runs.cypher: the runs to remove, with their RECOMMENDED relationships.
//
// Parameters: $namespace (one namespace), or null for every namespace.
// Returns: id of each RecommendationRun node.
MATCH (r:${RecommendationRun})
WHERE $namespace IS NULL OR r.namespace = $namespace
RETURN r.id AS id
