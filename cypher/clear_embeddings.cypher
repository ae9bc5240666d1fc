// clear_embeddings.cypher: empty a slot before a full run writes into it.
//
// ${embedding}: the slot property. The slot is not the current run's, so no
// query reads it; batches of their own transactions keep memory flat.
MATCH (n:${User}) WHERE n.${embedding} IS NOT NULL
CALL (n) { REMOVE n.${embedding} } IN TRANSACTIONS OF 10000 ROWS;
MATCH (n:${Item}) WHERE n.${embedding} IS NOT NULL
CALL (n) { REMOVE n.${embedding} } IN TRANSACTIONS OF 10000 ROWS
