// run_discard.cypher: forget a run that wrote nothing (a sync with nothing to do).
//
// Parameters: $id. Only a 'running' run with no relationships is deleted, so
// job history keeps every run that published, failed or wrote anything.
MATCH (r:${RecommendationRun} {id: $id, status: 'running'})
WHERE NOT EXISTS { ()-[:${RECOMMENDED} {run_id: $id}]->() }
DETACH DELETE r
