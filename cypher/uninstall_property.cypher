// uninstall_property.cypher: remove one socialrec_* property from every node.
//
// ${property} is a property key socialrec wrote (socialrec_<namespace>_embedding_<slot>).
MATCH (n) WHERE n.${property} IS NOT NULL
CALL (n) { REMOVE n.${property} } IN TRANSACTIONS OF 10000 ROWS
