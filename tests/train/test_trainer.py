import numpy as np
import torch

from socialrec.models import TrainGraph
from socialrec.train.metrics import evaluate
from socialrec.train.splits import split
from socialrec.train.trainer import WeightAverage, train
from tests.helpers import small_config, synthetic_snapshot


def test_few_epochs_beat_popularity_on_held_out_data() -> None:
    snap = synthetic_snapshot(users=500, items=200)
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=0)
    graph = TrainGraph.build(snap, sp.train)
    exclude = np.concatenate([sp.train, sp.valid], axis=1)
    results = {}
    for name in ("popularity", "social"):
        cfg = small_config(name, epochs=30, batch_size=1024, embedding_dim=32)
        r = train(graph, sp, cfg)
        results[name] = evaluate(r.user_embedding, r.item_embedding, sp.test, exclude)["recall@20"]
        if name == "social":
            assert r.best_epoch > 0 and len(r.history) >= 5
            assert r.history[-1]["loss"] < r.history[0]["loss"]
            assert bool(torch.isfinite(r.user_embedding).all())
    assert results["social"] > results["popularity"] * 1.1, results


def test_contrastive_training_uses_noise_and_learns() -> None:
    snap = synthetic_snapshot(users=300, items=150)
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=0)
    graph = TrainGraph.build(snap, sp.train)
    cfg = small_config("hybrid", ssl_weight=0.1, noise=0.1)
    r = train(graph, sp, cfg)
    assert r.history[-1]["loss"] < r.history[0]["loss"]
    assert torch.isfinite(r.user_embedding).all() and torch.isfinite(r.item_embedding).all()
    # Noise is for training only: the final embeddings are a deterministic forward.
    again = train(graph, sp, cfg)
    assert torch.equal(r.user_embedding, again.user_embedding)
    # ...and it did change training: without the contrastive term (and so without
    # noise) the same seed ends elsewhere.
    plain = train(graph, sp, small_config("hybrid", ssl_weight=0.0, noise=0.1))
    assert not torch.allclose(plain.user_embedding, r.user_embedding, atol=1e-3)


def test_dynamic_negative_sampling_trains() -> None:
    snap = synthetic_snapshot(users=300, items=150)
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=0)
    cfg = small_config("lightgcn", negatives=4)
    r = train(TrainGraph.build(snap, sp.train), sp, cfg)
    assert r.best_valid > 0 and torch.isfinite(r.item_embedding).all()


def test_softmax_loss_trains_unit_length_embeddings() -> None:
    snap = synthetic_snapshot(users=300, items=150)
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=0)
    cfg = small_config("social", negatives=4, loss="softmax", softmax_temperature=0.2)
    r = train(TrainGraph.build(snap, sp.train), sp, cfg)
    assert r.history[-1]["loss"] < r.history[0]["loss"] and r.best_valid > 0
    # scored by cosine: the stored embeddings (and so Neo4j's inner products) are unit length
    assert torch.allclose(r.user_embedding.norm(dim=-1), torch.ones(sp.num_users), atol=1e-5)
    assert torch.allclose(r.item_embedding.norm(dim=-1), torch.ones(sp.num_items), atol=1e-5)


def test_weight_average_is_the_moving_average_and_swaps_back() -> None:
    layer = torch.nn.Linear(3, 2)
    start = {k: v.clone() for k, v in layer.state_dict().items()}
    average = WeightAverage(layer, decay=0.75)
    steps = [torch.full((2, 3), 1.0), torch.full((2, 3), -2.0)]
    expected = start["weight"].clone()
    for value in steps:
        with torch.no_grad():
            layer.weight.copy_(value)
        average.update()
        expected = 0.75 * expected + 0.25 * value
    assert torch.allclose(average.state["weight"], expected)
    with average.swapped():
        assert torch.allclose(layer.weight, expected)
    assert torch.equal(layer.weight, steps[-1])  # the live weights are back


def test_training_with_weight_average_keeps_the_averaged_weights() -> None:
    snap = synthetic_snapshot(users=300, items=150)
    sp = split(snap, "random", (0.7, 0.1, 0.2), seed=0)
    graph = TrainGraph.build(snap, sp.train)
    plain = train(graph, sp, small_config("lightgcn"))
    averaged = train(graph, sp, small_config("lightgcn", weight_average=0.9))
    assert averaged.best_valid > 0 and torch.isfinite(averaged.item_embedding).all()
    # the same seed and steps: only the kept (averaged) weights differ
    assert not torch.allclose(plain.item_embedding, averaged.item_embedding, atol=1e-4)
    # an average that forgets at once is the last step's weights: training as without
    tracking = train(graph, sp, small_config("lightgcn", weight_average=1e-9))
    assert tracking.best_epoch == plain.best_epoch
    assert torch.allclose(plain.item_embedding, tracking.item_embedding, atol=1e-5)
