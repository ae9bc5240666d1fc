// export_item_users.cypher: the users who interacted with a batch of items
// (used to grow a k-hop subgraph from items back to users).
//
// Parameters: $nids (internal ids of items).
UNWIND $nids AS nid
MATCH (i) WHERE id(i) = nid
MATCH (i)<-[:${INTERACTED}]-(u)
RETURN collect(nid) AS src, collect(id(u)) AS dst
