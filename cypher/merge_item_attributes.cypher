// merge_item_attributes.cypher: one batch of item -> attribute links.
//
// Parameters: $items, $attributes (id lists of equal length), $weights (list
// or null: e.g. how often a tag was applied), $kind (what the attributes are:
// "tag", "genre"...). An attribute is identified by (kind, id), so a city 5
// and a category 5 are two nodes.
UNWIND range(0, size($items) - 1) AS k
MERGE (i:${Item} {${item_id}: $items[k]})
MERGE (a:${Attribute} {${attribute_kind}: $kind, ${attribute_id}: $attributes[k]})
MERGE (i)-[r:${HAS_ATTRIBUTE}]->(a)
SET r.${weight} = $weights[k]
