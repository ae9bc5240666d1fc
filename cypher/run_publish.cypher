// run_publish.cypher: make a fully written run the current one, in one transaction.
//
// Parameters: $id (the new run), $serves (run ids whose RECOMMENDED
// relationships the new run serves: [$id] for a full run; an incremental run
// adds the runs it builds on), $superseded_users (user ids whose older
// recommendations the new run replaces: incremental runs only, else []),
// $stats (counts, metrics, popular items... stored on the run node).
// Either all of it happens or none: until this commits, every query still
// reads the previous run.
MATCH (new:${RecommendationRun} {id: $id, status: 'running'})
OPTIONAL MATCH (old:${RecommendationRun} {namespace: new.namespace, current: true})
WHERE old <> new
CALL (old) {
  UNWIND CASE WHEN old IS NULL THEN [] ELSE $superseded_users END AS uid
  MATCH (:${User} {${user_id}: uid})-[rec:${RECOMMENDED}]->()
  WHERE rec.run_id IN old.serves AND rec.run_id <> $id
  DELETE rec
}
SET old.current = false
SET new += $stats,
    new.serves = $serves, new.current = true, new.status = 'complete', new.finished_at = datetime()
RETURN new.id AS id
