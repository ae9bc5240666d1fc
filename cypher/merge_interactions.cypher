// merge_interactions.cypher: one batch of user -> item interactions.
//
// Parameters: $users, $items (id lists of equal length), $weights, $times
// (lists of the same length, or null). Row k is users[k] -> items[k].
// Idempotent: nodes and the relationship are MERGEd, properties SET, so loading
// the same rows twice changes nothing.
UNWIND range(0, size($users) - 1) AS k
MERGE (u:${User} {${user_id}: $users[k]})
MERGE (i:${Item} {${item_id}: $items[k]})
MERGE (u)-[r:${INTERACTED}]->(i)
SET r.${weight} = $weights[k], r.${timestamp} = $times[k]
