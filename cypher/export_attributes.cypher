// export_attributes.cypher: one page of attributes, in internal-id order.
//
// Parameters: $after (last internal id of the previous page, -1 at the start), $limit.
// An attribute is identified by (kind, id): "genre 5" and "city 5" are two
// attributes. Each id comes as [id, kind]; socialrec keys it "kind:id" (or the
// bare id when the node has no kind property).
MATCH (n:${Attribute})
WHERE id(n) > $after
WITH n ORDER BY id(n) LIMIT $limit
RETURN collect(id(n)) AS nids,
       collect([n.${attribute_id}, n.${attribute_kind}]) AS ids
