// writeback_schema.cypher: what atomic, versioned writeback relies on.
//
// A run of recommendations is a (:RecommendationRun {id}) node; its RECOMMENDED
// relationships carry its id as run_id. The index on RECOMMENDED(run_id) makes
// deleting an orphaned or pruned run an index scan instead of a graph scan; the
// index on (namespace, current) finds each namespace's one current run. The
// writer lease's constraint is lock_schema.cypher's. All statements are idempotent.
CREATE CONSTRAINT socialrec_run_id IF NOT EXISTS FOR (r:${RecommendationRun}) REQUIRE r.id IS UNIQUE;
CREATE INDEX socialrec_run_namespace_current IF NOT EXISTS FOR (r:${RecommendationRun}) ON (r.namespace, r.current);
CREATE INDEX socialrec_recommended_run IF NOT EXISTS FOR ()-[r:${RECOMMENDED}]-() ON (r.run_id)
