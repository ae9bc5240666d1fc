"""Database access over Bolt: the query-runner seam, schema and inspection, indexes, GDS."""
