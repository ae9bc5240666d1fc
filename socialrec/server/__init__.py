"""Provisioning: a local Neo4j + GDS server process from Maven Central jars.

Kept apart from :mod:`socialrec.graph` (database access over Bolt): nothing
here talks Cypher, and nothing in ``graph/`` starts a process.
"""
