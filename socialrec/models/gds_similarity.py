r"""User-based collaborative filtering with GDS Node Similarity, computed in Neo4j.

The recommender many Neo4j users build today, as a baseline: the Graph Data
Science library's `Node Similarity <https://neo4j.com/docs/graph-data-science/
current/algorithms/node-similarity/>`_ finds each user's :math:`k` most similar
users by the Jaccard similarity of their item sets, and an item's score sums the
similarities of the neighbours who interacted with it:

.. math::
    \text{sim}(u, v) = \frac{|\mathcal{I}_u \cap \mathcal{I}_v|}
                            {|\mathcal{I}_u \cup \mathcal{I}_v|}, \qquad
    s_{ui} = \sum_{v \in \mathcal{N}_k(u)} \text{sim}(u, v)\, r_{vi}

Only the **training** interactions go to GDS (``gds.graph.construct`` builds an
in-memory graph from them, dropped afterwards), so the baseline is evaluated on
the same split as the GNNs. Scores come back as "embeddings" so that the common
full-ranking evaluation applies: user :math:`u`'s row of the similarity matrix
:math:`S` and item :math:`i`'s column of the interaction matrix :math:`R`, whose
inner product is :math:`s_{ui} = (SR)_{ui}`. Both are dense, so this is for
evaluation on graphs up to tens of thousands of users.

Args of :func:`node_similarity_embeddings`:
    gds: a ``graphdatascience.GraphDataScience`` client.
    train (np.ndarray): ``[2, E]`` training (user, item) index pairs.
    num_users, num_items (int): index ranges.
    k (int): neighbours per user. (default: ``50``)
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import torch

from socialrec.errors import ConfigError

#: Largest dense score factors (users x (users + items) floats) built, in bytes.
MAX_DENSE_BYTES = 4 * 1024**3


def node_similarity_embeddings(
    gds: Any, train: np.ndarray, num_users: int, num_items: int, k: int = 50
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(S, R^T)`` as float tensors: score = ``S[u] @ R^T[i]``."""
    import pandas as pd

    size = num_users * (num_users + num_items) * 4
    if size > MAX_DENSE_BYTES:
        raise ConfigError(
            f"gds_similarity builds {size / 1024**3:.1f} GB of dense scores for "
            f"{num_users:,} users; it is an evaluation baseline for smaller graphs"
        )
    nodes = pd.DataFrame(
        {
            "nodeId": np.arange(num_users + num_items, dtype=np.int64),
            "labels": ["User"] * num_users + ["Item"] * num_items,
        }
    )
    relationships = pd.DataFrame(
        {
            "sourceNodeId": train[0].astype(np.int64),
            "targetNodeId": train[1].astype(np.int64) + num_users,
            "relationshipType": "INTERACTED",
        }
    )
    name = f"socialrec-similarity-{uuid.uuid4().hex[:12]}"
    graph = gds.graph.construct(name, nodes, relationships)
    try:
        frame = gds.node_similarity.stream(graph, top_k=k, log_progress=False)
    finally:
        gds.graph.drop(name)
    sim = torch.zeros(num_users, num_users)
    # copy=True: pandas may hand out read-only arrays, which torch refuses to wrap.
    sim[
        torch.from_numpy(frame["node1"].to_numpy(np.int64, copy=True)),
        torch.from_numpy(frame["node2"].to_numpy(np.int64, copy=True)),
    ] = torch.from_numpy(frame["similarity"].to_numpy(np.float32, copy=True))
    interactions = torch.zeros(num_items, num_users)
    interactions[torch.as_tensor(train[1]), torch.as_tensor(train[0])] = 1.0
    return sim, interactions
