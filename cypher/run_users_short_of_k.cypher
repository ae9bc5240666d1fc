// run_users_short_of_k.cypher: users the current run serves fewer than $k items.
//
// Parameters: $namespace, $k. An item deleted in the database takes its
// RECOMMENDED relationships with it (DETACH DELETE), leaving the users who had
// it recommended one short; an incremental sync re-scores them. Run only when
// items were deleted since the last sync.
// Returns: ids (user ids).
MATCH (run:${RecommendationRun} {namespace: $namespace, current: true})
MATCH (u:${User})-[rec:${RECOMMENDED}]->()
WHERE rec.run_id IN run.serves
WITH u, count(rec) AS n
WHERE n < $k
RETURN collect(u.${user_id}) AS ids
