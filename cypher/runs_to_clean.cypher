// runs_to_clean.cypher: runs whose relationships no query will read again.
//
// Parameters: $namespace (only this namespace's runs are ever cleaned), $keep (how many complete runs to keep, the current one included),
// $except (the id of the run being written now, never cleaned).
// Returns: id, status, reason: 'orphaned' (status running: its writer died,
// since only the lock holder writes), 'failed', or 'pruned' (a complete run
// beyond the newest $keep that no kept run still serves: an incremental run
// serves the runs it builds on, so those are kept with it).
MATCH (r:${RecommendationRun} {namespace: $namespace})
WHERE NOT coalesce(r.cleaned, false)
WITH r ORDER BY r.started_at DESC
WITH collect(r) AS runs
WITH runs, [x IN runs WHERE x.status = 'complete'] AS complete
WITH runs,
     [x IN complete WHERE x.current] +
     [x IN complete WHERE NOT x.current][..CASE WHEN $keep > 1 THEN $keep - 1 ELSE 0 END] AS kept
WITH runs, kept, reduce(s = [], x IN kept | s + x.serves) AS served
UNWIND runs AS r
WITH r, kept, served
WHERE r.id <> $except AND NOT r IN kept AND NOT r.id IN served
RETURN r.id AS id, r.status AS status,
       CASE r.status WHEN 'running' THEN 'orphaned' WHEN 'failed' THEN 'failed' ELSE 'pruned' END
         AS reason
ORDER BY r.started_at
