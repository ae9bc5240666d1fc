"""socialrec: social-aware GNN recommendations for graphs that live in Neo4j.

The package is laid out in pipeline order:

``graph`` (database access, local server) -> ``load`` (data in) -> ``export``
(Neo4j -> PyG) -> ``models`` -> ``train`` / ``evaluate`` -> ``score`` ->
``writeback`` -> ``jobs`` -> ``cli``.
"""

from socialrec.errors import SocialrecError

__all__ = ["SocialrecError", "__version__"]
__version__ = "0.1.0"
