// run_delete_recommendations.cypher: delete one run's RECOMMENDED relationships.
//
// Parameters: $id. Runs in batches of its own transactions (autocommit), so it
// is only used on runs no query reads: failed, orphaned or pruned ones. Safe to
// repeat after an interruption.
MATCH ()-[rec:${RECOMMENDED} {run_id: $id}]->()
CALL (rec) { DELETE rec } IN TRANSACTIONS OF 10000 ROWS
