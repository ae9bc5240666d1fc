"""Neighbour-sampled training: the subgraph conversion (always), the loader (with a backend)."""

import numpy as np
import pytest
import torch
import torch_geometric.typing as pyg_typing
from torch_geometric.data import HeteroData

from socialrec.errors import ConfigError
from socialrec.export.snapshot import FRIENDS, INTERACTS, REV_HAS, REV_INTERACTS
from socialrec.models import TrainGraph, build_model
from socialrec.train import sampled
from socialrec.train.metrics import evaluate
from socialrec.train.splits import split
from socialrec.train.trainer import TrainConfig, train
from tests.helpers import small_config, synthetic_snapshot, tiny_graph


def test_without_a_backend_training_says_how_to_install_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pyg_typing, "WITH_PYG_LIB", False)
    monkeypatch.setattr(pyg_typing, "WITH_TORCH_SPARSE", False)
    snap = synthetic_snapshot(users=60, items=40)
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=0)
    config = TrainConfig(model="lightgcn", epochs=1, fanout=5, device="cpu")
    with pytest.raises(ConfigError, match=r"pip install pyg-lib -f .*torch-\d+\.\d+\.0\+"):
        train(TrainGraph.build(snap, sp.train), sp, config)


def test_training_data_holds_every_relation_both_ways() -> None:
    graph = tiny_graph()
    data = sampled.training_data(graph)
    pairs = data[INTERACTS].edge_index
    assert sorted(map(tuple, pairs.T.tolist())) == [(0, 0), (0, 1), (1, 1), (1, 2), (2, 3)]
    assert torch.equal(data[REV_INTERACTS].edge_index, pairs.flip(0))
    assert data[FRIENDS].edge_index.shape[1] == 6  # 3 friendships, both directions
    assert data[REV_HAS].edge_weight.shape[0] == data[REV_HAS].edge_index.shape[1] == 6


def loader_like_batch() -> HeteroData:
    """What LinkNeighborLoader yields for one seed (user 7 -> item 30, negative 31),
    written by hand: local indices, n_id the global ones."""
    b = HeteroData()
    b["user"].n_id = torch.tensor([7, 2, 5])
    b["user"].num_nodes = 3
    b["item"].n_id = torch.tensor([30, 31, 12])
    b["item"].num_nodes = 3
    b["attribute"].n_id = torch.tensor([4])
    b["attribute"].num_nodes = 1
    # user 0 - item 0 sampled in both directions; user 1 - item 2 one way only.
    b[INTERACTS].edge_index = torch.tensor([[0, 1], [0, 2]])
    b[REV_INTERACTS].edge_index = torch.tensor([[0, 2], [0, 2]])
    b[FRIENDS].edge_index = torch.tensor([[1], [0]])
    b[REV_HAS].edge_index = torch.tensor([[0], [0]])
    b[REV_HAS].edge_weight = torch.tensor([1.0])
    b["user"].src_index = torch.tensor([0])
    b["item"].dst_pos_index = torch.tensor([0])
    b["item"].dst_neg_index = torch.tensor([1])
    return b


def test_a_sampled_batch_becomes_a_subgraph_with_global_ids() -> None:
    graph, users, pos, neg = sampled.batch_graph(loader_like_batch())
    assert graph.num_users == 3 and graph.num_items == 3 and graph.num_attributes == 1
    dense = graph.item_to_user.matrix.to_dense()
    # Edges (0,0), (1,2), (2,2), each once; normalised by the sampled degrees.
    assert torch.equal(dense != 0, torch.tensor([[1, 0, 0], [0, 0, 1], [0, 0, 1]]).bool())
    assert torch.isclose(dense[1, 2], 1 / torch.sqrt(torch.tensor(1.0 * 2)))
    assert graph.friend_index.shape[1] == 2  # one friendship, both directions
    assert graph.user_ids is not None and graph.item_ids is not None
    assert graph.user_ids.tolist() == [7, 2, 5] and graph.item_ids.tolist() == [30, 31, 12]
    assert (users.tolist(), pos.tolist(), neg.tolist()) == ([0], [0], [1])

    # The model reads the global rows of its tables, and L2 regularises those rows.
    torch.manual_seed(0)
    model = build_model("hybrid", tiny_graph(), embedding_dim=4, num_layers=2)
    model.user = torch.nn.Embedding(10, 4)
    model.item = torch.nn.Embedding(40, 4)
    model.attribute = torch.nn.Embedding(5, 4)
    u, i = model.free_embeddings(graph)
    assert torch.equal(u[0], model.user.weight[7]) and torch.equal(i[2], model.item.weight[12])
    user_emb, item_emb, *_ = model(graph)
    loss, _ = model.bpr_loss(user_emb, item_emb, users, pos, neg, 1.0, graph=graph)
    loss.backward()
    grad = model.user.weight.grad
    assert grad is not None
    touched = grad.abs().sum(-1).nonzero().flatten().tolist()
    assert set(touched) <= {7, 2, 5} and 7 in touched


@pytest.mark.skipif(not sampled.sampler_available(), reason="needs pyg-lib or torch-sparse")
def test_sampled_training_learns() -> None:
    snap = synthetic_snapshot(users=400, items=150)
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=0)
    graph = TrainGraph.build(snap, sp.train)
    exclude = np.concatenate([sp.train, sp.valid], axis=1)
    recall = {}
    for name, fanout in (("popularity", 0), ("hybrid", 8)):
        cfg = small_config(name, epochs=20, batch_size=256, embedding_dim=32, fanout=fanout)
        r = train(graph, sp, cfg)
        recall[name] = evaluate(r.user_embedding, r.item_embedding, sp.test, exclude)["recall@20"]
        if fanout:
            assert r.history[-1]["loss"] < r.history[0]["loss"]
    assert recall["hybrid"] > recall["popularity"] * 1.1, recall
