// schema_time_index.cypher: the index on interaction time (incremental export).
//
// Parameters: $name (socialrec_time_<type>_<property>). Serves "what changed
// since T"; created only when no index on that property exists yet.
CREATE INDEX $name IF NOT EXISTS FOR ()-[r:${INTERACTED}]-() ON (r.${timestamp})
