// export_item_attributes.cypher: the attributes of a batch of items.
//
// Parameters: $nids (internal ids of items). A missing weight comes back as NaN.
UNWIND $nids AS nid
MATCH (i) WHERE id(i) = nid
MATCH (i)-[r:${HAS_ATTRIBUTE}]->(a)
RETURN collect(nid) AS src,
       collect(id(a)) AS dst,
       collect(coalesce(r.${weight}, 0.0 / 0.0)) AS weight
