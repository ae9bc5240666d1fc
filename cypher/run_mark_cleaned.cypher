// run_mark_cleaned.cypher: record that a run's relationships are gone.
//
// Parameters: $id, $reason ('orphaned', 'failed' or 'pruned'). An orphaned run
// becomes failed; a pruned one keeps its metrics and timings as history.
MATCH (r:${RecommendationRun} {id: $id})
SET r.cleaned = true, r.cleaned_at = datetime(),
    r.status = CASE $reason WHEN 'pruned' THEN 'pruned' ELSE 'failed' END,
    r.error = CASE $reason WHEN 'orphaned' THEN coalesce(r.error, 'the writer stopped before the run finished') ELSE r.error END
RETURN r.id AS id
