// run_fail.cypher: mark a run failed, keeping the error for operators.
//
// Parameters: $id, $error (message). Its relationships are deleted by
// run_delete_recommendations.cypher (the next run does it if this process died).
MATCH (r:${RecommendationRun} {id: $id})
WHERE r.status IN ['running', 'failed']
SET r.status = 'failed', r.current = false, r.error = $error,
    r.finished_at = coalesce(r.finished_at, datetime())
RETURN r.id AS id
