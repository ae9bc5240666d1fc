// export_friendships.cypher: the friends of a batch of users, in either direction.
//
// Parameters: $nids (internal ids of users). Each friendship is stored once in
// Neo4j; reading it from both of its users yields both directions, which is
// what message passing needs.
UNWIND $nids AS nid
MATCH (u) WHERE id(u) = nid
MATCH (u)-[:${FRIENDS_WITH}]-(v)
RETURN collect(nid) AS src, collect(id(v)) AS dst
