"""Neo4j -> PyTorch Geometric: the exporter and the snapshot it produces."""

from socialrec.export.exporter import Exporter, ExportError
from socialrec.export.snapshot import GraphSnapshot, SnapshotMismatchError

__all__ = ["ExportError", "Exporter", "GraphSnapshot", "SnapshotMismatchError"]
