// vector_index_dimensions.cypher: the dimensions of an existing vector index.
//
// Parameters: $name. Returns: dimensions (no row if the index does not exist).
SHOW VECTOR INDEXES YIELD name, options
WHERE name = $name
RETURN options.indexConfig.`vector.dimensions` AS dimensions
