"""socialrec: social-aware GNN recommendations for graphs that live in Neo4j.

The package is laid out in pipeline order:

``graph`` (database access, local server) -> ``load`` (data in) -> ``export``
(Neo4j -> PyG) -> ``models`` -> ``train`` / ``evaluate`` -> ``score`` ->
``writeback`` -> ``jobs`` -> ``cli``.
"""

from typing import TYPE_CHECKING, Any

from socialrec.errors import SocialrecError

if TYPE_CHECKING:
    from socialrec.recommender import Recommender

__all__ = ["Recommender", "SocialrecError", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Recommender pulls in torch: imported on first use, so that `socialrec --help`
    # and the loaders stay quick.
    if name == "Recommender":
        from socialrec.recommender import Recommender

        return Recommender
    raise AttributeError(name)
