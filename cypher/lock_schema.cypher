// lock_schema.cypher: one lease node per lock name.
//
// Created before the first lock_acquire.cypher of a process: without it, two
// writers that MERGE the lock at once on a fresh database could each create a
// lease node and both believe they hold the lock. Idempotent.
CREATE CONSTRAINT socialrec_lock_name IF NOT EXISTS FOR (l:${SocialrecLock}) REQUIRE l.name IS UNIQUE
