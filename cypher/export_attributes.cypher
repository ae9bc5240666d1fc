// export_attributes.cypher: one page of attributes, in internal-id order.
//
// Parameters: $after (last internal id of the previous page, -1 at the start), $limit.
MATCH (n:${Attribute})
WHERE id(n) > $after
WITH n ORDER BY id(n) LIMIT $limit
RETURN collect(id(n)) AS nids,
       collect([n.${attribute_id}]) AS ids
