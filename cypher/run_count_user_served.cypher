// run_count_user_served.cypher: how many served RECOMMENDED relationships each user holds.
//
// Parameters: $users (user ids), $serves (the current run's serves).
// Returns: counts (one per user, in $users' order; 0 for a user not found).
// An incremental run with the lists of the last sync (socialrec.writeback.served)
// skips users whose new list equals the one on file; it first checks here that
// the database still holds that many rows for them, and rewrites those it does not.
UNWIND range(0, size($users) - 1) AS k
OPTIONAL MATCH (:${User} {${user_id}: $users[k]})-[rec:${RECOMMENDED}]->()
WHERE rec.run_id IN $serves
WITH k, count(rec) AS n
ORDER BY k
RETURN collect(n) AS counts
