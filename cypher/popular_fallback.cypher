// popular_fallback.cypher: popular items for a user with neither history nor friends.
//
// Parameters: $namespace (the mapping's output namespace, see
// `socialrec inspect`), $user (user id; may be unknown to the database), $k.
// Returns: item (id), popularity_rank (1 = most interactions when the current
// run was written).
// The current run stores its most popular items (RecommendationRun.popular),
// so this costs a list lookup, not a count over every interaction. Items the
// user already has are skipped.
MATCH (run:${RecommendationRun} {namespace: $namespace, current: true})
OPTIONAL MATCH (u:${User} {${user_id}: $user})
UNWIND range(0, size(run.popular) - 1) AS pos
MATCH (i:${Item} {${item_id}: run.popular[pos]})
WHERE u IS NULL OR NOT EXISTS { (u)-[:${INTERACTED}]->(i) }
RETURN i.${item_id} AS item, i.${item_name} AS name, pos + 1 AS popularity_rank
ORDER BY pos
LIMIT $k
