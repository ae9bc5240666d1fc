// item_vector_index.cypher: the vector index over one slot's item embeddings.
//
// Parameters: $name (socialrec_items_0 or _1), $dimensions. Cosine similarity:
// recommend_cold_start.cypher and similar_items.cypher rank items by it.
CREATE VECTOR INDEX $name IF NOT EXISTS
FOR (i:${Item}) ON i.${embedding}
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}}
