// drop_index.cypher: drop an index socialrec created (a slot's vector index
// whose dimensions no longer fit the model). Parameters: $name.
DROP INDEX $name IF EXISTS
