// lock_release.cypher: give the writer lease back (only if we still hold it).
//
// Parameters: $name, $owner. Returns: released (true when we held it).
MATCH (l:${SocialrecLock} {name: $name})
WITH l, l.owner = $owner AS held
SET l.owner = CASE WHEN held THEN null ELSE l.owner END,
    l.expires_at = CASE WHEN held THEN null ELSE l.expires_at END
RETURN held AS released
