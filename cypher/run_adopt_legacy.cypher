// run_adopt_legacy.cypher: runs written before namespaces existed join this namespace.
//
// Parameters: $namespace. socialrec versions before namespaces wrote runs
// without a `namespace` property, one set per database; serving queries now
// match `{namespace: $namespace, current: true}`, so without this an upgrade
// would stop serving the current recommendations until the next writeback.
// The first writer of a namespace adopts them (only then, under its lock).
MATCH (r:${RecommendationRun})
WHERE r.namespace IS NULL
SET r.namespace = $namespace
RETURN count(r) AS adopted
