// uninstall_recommended.cypher: every RECOMMENDED relationship (all namespaces).
//
// RECOMMENDED is socialrec's own type (a mapping may not use it), so all of
// them are socialrec's, including any whose run node is already gone.
MATCH ()-[rec:${RECOMMENDED}]->()
CALL (rec) { DELETE rec } IN TRANSACTIONS OF 10000 ROWS
