// merge_names.cypher: display names for nodes that exist (never creates a node).
//
// Parameters: $ids, $names (lists of equal length), $kind (attributes: their
// kind, as an attribute is identified by kind and id; null otherwise). ${label}, ${key} and
// ${name} are the mapped label, id property and name property (extra
// placeholders chosen by the loader: items or attributes). Ids the database
// does not have are skipped.
UNWIND range(0, size($ids) - 1) AS k
MATCH (n:${label} {${key}: $ids[k]})
WHERE $kind IS NULL OR n.${attribute_kind} = $kind
SET n.${name} = $names[k]
