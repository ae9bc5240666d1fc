// run_begin.cypher: record a new run before writing anything of it.
//
// Parameters: $id, $namespace (the mapping's output namespace), $model, $kind ("full" or "incremental"), $k, $owner (who
// writes: host:pid), $slot, $embedding_property, $item_index (where the run's
// embeddings and their vector index live), $checkpoint (path or null).
// The run is not current: queries keep reading the previous run until
// run_publish.cypher flips it.
CREATE (r:${RecommendationRun} {
  id: $id, namespace: $namespace, model: $model, kind: $kind, k: $k, owner: $owner, checkpoint: $checkpoint,
  status: 'running', current: false, started_at: datetime(),
  slot: $slot, embedding_property: $embedding_property, item_index: $item_index
})
RETURN r.id AS id
