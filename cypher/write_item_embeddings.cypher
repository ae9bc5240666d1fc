// write_item_embeddings.cypher: store one batch of item embeddings.
//
// Parameters: $ids (item ids), $vectors (one list of floats each), $property:
// the run's slot property, stored as 32-bit floats as in write_user_embeddings.cypher.
UNWIND range(0, size($ids) - 1) AS k
MATCH (n:${Item} {${item_id}: $ids[k]})
CALL db.create.setNodeVectorProperty(n, $property, $vectors[k])
