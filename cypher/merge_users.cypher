// merge_users.cypher: one batch of user nodes (users with no edges yet).
//
// Parameters: $ids (list of user ids).
UNWIND $ids AS id
MERGE (:${User} {${user_id}: id})
