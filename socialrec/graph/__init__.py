"""Database access: the query-runner seam, schema and inspection, the local server."""
