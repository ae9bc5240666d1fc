// run_count_served.cypher: how many RECOMMENDED relationships each given run holds.
//
// Parameters: $ids (run ids: the current run's serves). Through the
// RECOMMENDED(run_id) index. A diff run compares the total with the lists
// the last sync recorded (socialrec.writeback.served): a relationship deleted
// since (its item or user detached) shows here, and the run then rewrites everyone.
UNWIND $ids AS id
MATCH ()-[rec:${RECOMMENDED} {run_id: id}]->()
RETURN count(rec) AS relationships
