// export_interaction_pairs.cypher: the interactions of a batch of users, ids only.
//
// Parameters: $nids (internal ids of users). Like export_interactions.cypher
// without the weight and time: reading two relationship properties per edge is
// most of that query's cost (measured: 1.44 s vs 0.57 s for 500,000 edges), and
// binarised models do not need them (Exporter(edge_properties=False)).
UNWIND $nids AS nid
MATCH (u) WHERE id(u) = nid
MATCH (u)-[:${INTERACTED}]->(i)
RETURN collect(nid) AS src, collect(id(i)) AS dst
