// merge_items.cypher: one batch of item nodes (items with no edges yet).
//
// Parameters: $ids (list of item ids).
UNWIND $ids AS id
MERGE (:${Item} {${item_id}: id})
