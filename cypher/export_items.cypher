// export_items.cypher: one page of items, in internal-id order (keyset pagination).
//
// Parameters: $after (last internal id of the previous page, -1 at the start), $limit.
// Returns parallel lists: internal ids, mapped ids (wrapped in one-element
// lists so that a missing id stays visible instead of being dropped by
// collect), and each item's HAS_ATTRIBUTE out-degree.
MATCH (n:${Item})
WHERE id(n) > $after
WITH n ORDER BY id(n) LIMIT $limit
RETURN collect(id(n)) AS nids,
       collect([n.${item_id}]) AS ids,
       collect(COUNT { (n)-[:${HAS_ATTRIBUTE}]->() }) AS has_attribute
