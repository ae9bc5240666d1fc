// export_users.cypher: one page of users, in internal-id order (keyset pagination).
//
// Parameters: $after (the last internal id of the previous page, -1 at the
// start), $limit (page size).
// Returns one record of parallel lists: internal ids, mapped ids, and each
// user's INTERACTED out-degree and FRIENDS_WITH degree (Neo4j reads degrees
// from the node's relationship chains without touching the neighbours). The
// degrees size the edge batches and detect changes for incremental export.
//
// id() is deprecated in Cypher 5 in favour of elementId(), but it is the only
// integer identity Neo4j offers, and integers are what make joining millions of
// edges to nodes cheap. Internal ids are used within one export only; snapshots
// keep the mapped id property.
MATCH (n:${User})
WHERE id(n) > $after
WITH n ORDER BY id(n) LIMIT $limit
RETURN collect(id(n)) AS nids,
       collect([n.${user_id}]) AS ids,
       collect(COUNT { (n)-[:${INTERACTED}]->() }) AS interacted,
       collect(COUNT { (n)-[:${FRIENDS_WITH}]-() }) AS friends
