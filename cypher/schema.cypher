// schema.cypher: constraints and indexes socialrec relies on.
//
// Uniqueness constraints on the id property of each node label make every
// MERGE / MATCH by id an index lookup, and guarantee that an id names one node.
// The timestamp index serves incremental export ("what changed since T").
// All statements are idempotent (IF NOT EXISTS). Names come from the mapping.
CREATE CONSTRAINT IF NOT EXISTS FOR (n:${User}) REQUIRE n.${user_id} IS UNIQUE;
CREATE CONSTRAINT IF NOT EXISTS FOR (n:${Item}) REQUIRE n.${item_id} IS UNIQUE;
CREATE CONSTRAINT IF NOT EXISTS FOR (n:${Attribute}) REQUIRE n.${attribute_id} IS UNIQUE;
CREATE INDEX IF NOT EXISTS FOR ()-[r:${INTERACTED}]-() ON (r.${timestamp});
