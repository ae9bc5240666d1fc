// lock_acquire.cypher: take (or renew) the writer lease.
//
// Parameters: $name (lock name), $owner (host:pid:uuid), $ttl_ms (lease length),
// $stale (an owner known to be dead: a process of this host that no longer
// runs, or this scheduler's own earlier attempt; "" for none), $renew (true:
// only extend a lease $owner still holds, never take a free one: a holder's
// renewal must not take back a lease it released or lost).
// Returns: owner (the holder after this query: $owner when we got it), expires_at.
// SET l.touched first takes the node's write lock, so two processes that read
// an expired lease at once are serialised and only one of them takes it. Times
// are the server's (timestamp()), so clocks of different machines do not matter.
MERGE (l:${SocialrecLock} {name: $name})
SET l.touched = timestamp()
WITH l
CALL (l) {
  WITH l WHERE l.owner = $owner
    OR (NOT $renew AND (l.owner IS NULL OR l.expires_at < timestamp() OR l.owner = $stale))
  SET l.acquired_at = CASE WHEN l.owner = $owner THEN l.acquired_at ELSE datetime() END
  SET l.owner = $owner, l.expires_at = timestamp() + $ttl_ms
}
RETURN l.owner AS owner, l.expires_at AS expires_at
