// schema_unique_attribute.cypher: attributes are unique by (kind, id).
//
// Parameters: $name (socialrec_unique_<label>_<kind>_<id>). ${label}, ${kind}
// and ${key} are the mapped attribute label, kind and id properties: a city 5
// and a category 5 are two attributes, so the id alone is not unique.
CREATE CONSTRAINT $name IF NOT EXISTS FOR (n:${label}) REQUIRE (n.${kind}, n.${key}) IS UNIQUE
