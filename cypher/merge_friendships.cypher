// merge_friendships.cypher: one batch of friendships, one relationship per pair.
//
// Parameters: $a, $b (user id lists of equal length). The undirected MERGE
// finds a relationship in either direction, so (a, b) and (b, a) give one
// relationship. Self-friendships are filtered out before this query.
UNWIND range(0, size($a) - 1) AS k
MERGE (a:${User} {${user_id}: $a[k]})
MERGE (b:${User} {${user_id}: $b[k]})
MERGE (a)-[:${FRIENDS_WITH}]-(b)
