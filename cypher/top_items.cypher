// top_items.cypher: the $k items with the most users, with social and attribute context.
//
// Parameters: $k (how many items).
// Returns: item (id), users (how many users interacted), friend_pairs (pairs of
// friends who both interacted: the social signal socialrec learns from),
// top_attributes (the item's three heaviest attributes, by name where they have one).
MATCH (i:${Item})<-[:${INTERACTED}]-(u:${User})
WITH i, count(DISTINCT u) AS users
ORDER BY users DESC, i.${item_id}
LIMIT $k
CALL (i) {
  OPTIONAL MATCH (i)<-[:${INTERACTED}]-(a:${User})-[:${FRIENDS_WITH}]-(b:${User})-[:${INTERACTED}]->(i)
  WHERE elementId(a) < elementId(b)
  WITH DISTINCT a, b  // however often the friendship or interactions are stored
  RETURN count(a) AS friend_pairs
}
CALL (i) {
  OPTIONAL MATCH (i)-[h:${HAS_ATTRIBUTE}]->(t:${Attribute})
  WITH t, h ORDER BY h.${weight} DESC LIMIT 3
  RETURN collect(coalesce(t.${attribute_name}, t.${attribute_id})) AS top_attributes
}
RETURN i.${item_id} AS item, i.${item_name} AS name, users, friend_pairs, top_attributes
ORDER BY users DESC, item
