// export_interactions.cypher: the interactions of a batch of users.
//
// Parameters: $nids (internal ids of users, from export_users.cypher).
// Returns one record of parallel lists (source user, target item internal ids,
// weight, time). A missing weight comes back as NaN and a missing time as -1,
// because collect() would silently drop nulls and misalign the lists.
// The far end's label is not checked here: reading each target's labels would
// cost a random access per edge; the exporter drops (and counts) targets that
// are not in its item table instead.
UNWIND $nids AS nid
MATCH (u) WHERE id(u) = nid
MATCH (u)-[r:${INTERACTED}]->(i)
RETURN collect(nid) AS src,
       collect(id(i)) AS dst,
       collect(coalesce(r.${weight}, 0.0 / 0.0)) AS weight,
       collect(coalesce(r.${timestamp}, -1)) AS time
