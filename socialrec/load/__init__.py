"""Getting data into Neo4j: a batched writer and the LastFM, TSV and synthetic loaders."""

from socialrec.load.writer import GraphWriter, LoadReport

__all__ = ["GraphWriter", "LoadReport"]
