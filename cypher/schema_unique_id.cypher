// schema_unique_id.cypher: the uniqueness constraint on one label's id property.
//
// Parameters: $name (socialrec_unique_<label>_<property>). ${label} and ${key}
// are the mapped label and id property. A uniqueness constraint makes every
// MERGE / MATCH by id an index lookup and guarantees that an id names one node.
// socialrec only runs this when no index or constraint on that property exists
// yet (socialrec/graph/indexes.py), and names it so `socialrec uninstall` can
// find it again.
CREATE CONSTRAINT $name IF NOT EXISTS FOR (n:${label}) REQUIRE n.${key} IS UNIQUE
