// run_relayout.cypher: a full run that turned out to be a diff run takes the current slot.
//
// Parameters: $id, $kind ("diff"), $slot, $embedding_property, $item_index.
// A full run with the current run's model rewrites only the users whose lists
// changed (socialrec.writeback.served); it then keeps the current run's
// embedding slot, as an incremental run does, instead of filling the other one.
// Called before anything of the run is written.
MATCH (r:${RecommendationRun} {id: $id, status: 'running'})
SET r.kind = $kind, r.slot = $slot, r.embedding_property = $embedding_property,
    r.item_index = $item_index
RETURN r.id AS id
