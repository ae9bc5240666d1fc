// export_changed_users.cypher: users with an interaction newer than a watermark.
//
// Parameters: $since (epoch seconds). Served by the INTERACTED timestamp index
// of schema.cypher.
MATCH (u:${User})-[r:${INTERACTED}]->()
WHERE r.${timestamp} > $since
RETURN collect(DISTINCT id(u)) AS nids
