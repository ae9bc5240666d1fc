// write_user_embeddings.cypher: store one batch of user embeddings.
//
// Parameters: $ids (user ids), $vectors (one list of floats each).
// ${embedding} is the run's slot property (socialrec_embedding_0 or _1): a run
// writes the slot the current run does not use, so queries never see a mix.
UNWIND range(0, size($ids) - 1) AS k
MATCH (n:${User} {${user_id}: $ids[k]})
SET n.${embedding} = $vectors[k]
