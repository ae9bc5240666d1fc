// run_begin.cypher: record a new run before writing anything of it; returns its number.
//
// Parameters: $sequence (the name of the SocialrecLock node that numbers runs),
// $namespace (the mapping's output namespace), $model, $kind ("full" or "incremental"), $k, $owner (who
// writes: host:pid), $slot, $embedding_property, $item_index (where the run's
// embeddings and their vector index live), $checkpoint (path or null).
// The run's id is the next number of one sequence shared by every namespace
// (runs of two mappings may tag the same relationship type): a small integer on
// each RECOMMENDED is one inline property block (see runs.py). The first SET
// takes the sequence node's write lock before the second reads last_run, so two
// writers beginning at once wait for each other and never get the same number
// (the lease pattern of lock_acquire.cypher; lock_schema.cypher's constraint
// makes the MERGE safe).
// The run is not current: queries keep reading the previous run until
// run_publish.cypher flips it.
MERGE (seq:${SocialrecLock} {name: $sequence})
SET seq.touched = timestamp()
SET seq.last_run = coalesce(seq.last_run, 0) + 1
CREATE (r:${RecommendationRun} {
  id: seq.last_run, namespace: $namespace, model: $model, kind: $kind, k: $k, owner: $owner, checkpoint: $checkpoint,
  status: 'running', current: false, started_at: datetime(),
  slot: $slot, embedding_property: $embedding_property, item_index: $item_index
})
RETURN r.id AS id
