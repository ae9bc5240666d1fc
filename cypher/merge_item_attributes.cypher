// merge_item_attributes.cypher: one batch of item -> attribute links.
//
// Parameters: $items, $attributes (id lists of equal length), $weights (list
// or null: e.g. how often a tag was applied), $kind (what the attributes are:
// "tag", "genre"...).
UNWIND range(0, size($items) - 1) AS k
MERGE (i:${Item} {${item_id}: $items[k]})
MERGE (a:${Attribute} {${attribute_id}: $attributes[k]})
  ON CREATE SET a.${attribute_kind} = $kind
MERGE (i)-[r:${HAS_ATTRIBUTE}]->(a)
SET r.${weight} = $weights[k]
