// explain.cypher: why an item is recommended to a user.
//
// Parameters: $namespace (the mapping's output namespace, see
// `socialrec inspect`), $user (user id), $item (item id), $limit (how many friends and
// attributes to list).
// Returns: item, score and rank (null when the current run did not recommend
// it), because (the ids of friends' first 3, as recommend.cypher gives them), friends (friends who
// interacted with the item: id and interaction weight, heaviest first),
// friends_total (distinct friends, whichever direction the friendship is
// stored in), attributes (the item's attributes shared with items the user
// interacted with: id, kind, and how many of the user's items have it),
// recently (the user's latest interactions with items that share an attribute
// with it, newest first: item id, name and date, "because you recently ...";
// dates are null where interactions have no time). Friends carry the date of
// their latest interaction with the item.
MATCH (u:${User} {${user_id}: $user}), (i:${Item} {${item_id}: $item})
OPTIONAL MATCH (run:${RecommendationRun} {namespace: $namespace, current: true})
OPTIONAL MATCH (u)-[rec:${RECOMMENDED}]->(i)
WHERE rec.run_id IN run.serves
CALL (u, i) {
  // DISTINCT friends: a friendship may be stored in both directions, and an
  // interaction more than once; each friend is named once, with their heaviest.
  MATCH (u)-[:${FRIENDS_WITH}]-(f:${User})
  WHERE f <> u
  WITH DISTINCT f
  MATCH (f)-[x:${INTERACTED}]->(i)
  WITH f, max(x.${weight}) AS weight, max(x.${timestamp}) AS t
  ORDER BY weight DESC, f.${user_id}
  RETURN collect({friend: f.${user_id}, name: f.${user_name}, weight: weight,
                  date: CASE WHEN t IS NULL THEN null
                             ELSE toString(date(datetime({epochSeconds: t}))) END}) AS friends
}
CALL (u, i) {
  MATCH (u)-[r:${INTERACTED}]->(other:${Item})-[:${HAS_ATTRIBUTE}]->(:${Attribute})
        <-[:${HAS_ATTRIBUTE}]-(i)
  WHERE other <> i
  WITH other, max(r.${timestamp}) AS t
  ORDER BY t IS NULL, t DESC, other.${item_id}
  LIMIT $limit
  RETURN collect({item: other.${item_id}, name: other.${item_name},
                  date: CASE WHEN t IS NULL THEN null
                             ELSE toString(date(datetime({epochSeconds: t}))) END}) AS recently
}
CALL (u, i) {
  MATCH (i)-[:${HAS_ATTRIBUTE}]->(a:${Attribute})<-[:${HAS_ATTRIBUTE}]-(other:${Item})<-[:${INTERACTED}]-(u)
  WHERE other <> i
  WITH a, count(DISTINCT other) AS items
  ORDER BY items DESC, a.${attribute_id}
  RETURN collect({attribute: a.${attribute_id}, kind: a.${attribute_kind},
                 name: a.${attribute_name}, items: items})[..$limit]
    AS attributes
}
RETURN i.${item_id} AS item, i.${item_name} AS name, rec.score AS score, rec.rank AS rank,
       [f IN friends[..3] | f.friend] AS because,
       friends[..$limit] AS friends, size(friends) AS friends_total, attributes, recently
