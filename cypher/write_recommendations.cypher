// write_recommendations.cypher: one batch of a run's recommendations.
//
// Parameters: $users (user ids), $items / $scores (one list per user: item ids
// best first, and their scores), $run_id.
// Nodes are found through the id uniqueness constraints' indexes. CREATE, not
// MERGE: a run's relationships are new by construction (a new run_id), and a
// batch retried by the driver was rolled back first.
// Only what serving reads is stored on each relationship; the model, the time
// and everything else about the run live once on its RecommendationRun node
// (fewer property records a relationship: see "Writeback profile" in
// benchmarks/RESULTS.md). The friends behind a recommendation are read at query
// time (recommend.cypher): stored as a list they went to the dynamic array
// store, and deleting a superseded or pruned relationship then had to read
// those records back ("Pruning and the because lists" in RESULTS.md).
UNWIND range(0, size($users) - 1) AS u
MATCH (user:${User} {${user_id}: $users[u]})
WITH user, u, $items[u] AS items
UNWIND range(0, size(items) - 1) AS j
MATCH (item:${Item} {${item_id}: items[j]})
CREATE (user)-[:${RECOMMENDED} {score: $scores[u][j], rank: j + 1, run_id: $run_id}]->(item)
