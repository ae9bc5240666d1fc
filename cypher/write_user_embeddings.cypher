// write_user_embeddings.cypher: store one batch of user embeddings.
//
// Parameters: $ids (user ids), $vectors (one list of floats each), $property:
// the run's slot property (socialrec_..._embedding_0 or _1). A run writes the
// slot the current run does not use, so queries never see a mix.
// db.create.setNodeVectorProperty stores the vector as 32-bit floats, half the
// array-store records of SET's 64-bit list (the model's floats are 32-bit, so
// nothing is lost); every deleted or overwritten vector is read back from that
// store, so its size is what a full run's slot clear costs.
UNWIND range(0, size($ids) - 1) AS k
MATCH (n:${User} {${user_id}: $ids[k]})
CALL db.create.setNodeVectorProperty(n, $property, $vectors[k])
