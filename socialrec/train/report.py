"""Reports of an evaluation: ``report.json``, ``report.md`` and plots, written as trials finish.

:func:`write_report` is called after every finished trial (``socialrec evaluate``
does), so stopping a long comparison loses only the trial in progress, and
:func:`read_report` lets a rerun with the same settings skip what is done. The
settings (model options, split, ratios, seeds, socialrec's commit) head
``report.md`` and are stored in ``report.json``: a table is never separated from
how it was made.
"""

from __future__ import annotations

import json
import math
import subprocess
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from socialrec.models.registry import MODELS
from socialrec.train.experiment import Trial

TABLE_METRICS = (
    "recall@10",
    "ndcg@10",
    "recall@20",
    "ndcg@20",
    "precision@20",
    "hit@20",
    "coverage@20",
    "tail_share@20",
)


def checkout_commit(exclude: Sequence[str] = ()) -> str:
    """The git commit socialrec runs from (``+changes`` when tracked files differ from
    it, paths in ``exclude`` aside, relative to the repository root); ``""`` outside a
    checkout. Reports and benchmarks both record it."""
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=here, capture_output=True, text=True, timeout=10
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        if not head:
            return ""
        excluded = [f":(top,exclude){path}" for path in exclude]
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ":/", *excluded)
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + (" +changes" if dirty else "")


def source_version() -> str:
    """socialrec's version, with the git commit when it runs from a checkout."""
    from socialrec import __version__

    head = checkout_commit()
    return f"{__version__} ({head})" if head else __version__


def _mean_std(values: list[float]) -> str:
    arr = np.asarray(values, dtype=np.float64)
    if len(arr) == 1:
        return f"{arr[0]:.4f}"
    return f"{arr.mean():.4f} ± {arr.std(ddof=1):.4f}"


def markdown_table(trials: Sequence[Trial]) -> str:
    """Mean ± std over seeds per model; honest times: ``fit s`` is training with its
    validation runs (and the refit), ``test s`` the test ranking, ``s/epoch`` the
    mean over every epoch trained."""
    models = list(dict.fromkeys(r.label for r in trials))
    lines = [
        "| model | seeds | "
        + " | ".join(TABLE_METRICS)
        + " | best epoch | s/epoch | fit s | test s |",
        "|---|---:|" + "---:|" * len(TABLE_METRICS) + "---:|---:|---:|---:|",
    ]
    for m in models:
        rs = [r for r in trials if r.label == m]
        cells = [_mean_std([r.test.values[k] for r in rs]) for k in TABLE_METRICS]
        epochs = f"{np.mean([r.result.best_epoch for r in rs]):.0f}"
        per_epoch = [h["seconds"] for r in rs for h in r.result.history]
        s_epoch = f"{np.mean(per_epoch):.2f}" if per_epoch else "-"
        fit_s = np.mean([r.result.seconds for r in rs])
        test_s = np.mean([r.eval_seconds for r in rs])
        lines.append(
            f"| {m} | {len(rs)} | "
            + " | ".join(cells)
            + f" | {epochs} | {s_epoch} | {fit_s:.1f} | {test_s:.1f} |"
        )
    slice_names = list(trials[0].test.slices) if trials else []
    if slice_names:
        lines += [
            "",
            "Slices (Recall@20 / NDCG@20, mean over seeds):",
            "",
            "| model | " + " | ".join(slice_names) + " |",
            "|---|" + "---:|" * len(slice_names),
        ]
        for m in models:
            rs = [r for r in trials if r.label == m]
            cells = []
            for s in slice_names:
                n = int(rs[0].test.slices[s]["users"])
                if n == 0:  # e.g. no user without friends: nothing to average
                    cells.append("- (0 users)")
                    continue
                rec = np.nanmean([r.test.slices[s]["recall@20"] for r in rs])
                ndcg = np.nanmean([r.test.slices[s]["ndcg@20"] for r in rs])
                cells.append(f"{rec:.4f} / {ndcg:.4f} ({n} users)")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def settings_markdown(settings: dict[str, Any]) -> str:
    """The settings block at the top of ``report.md``."""
    lines = ["Settings:", ""]
    for key, value in settings.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={v}" for k, v in value.items())
            lines.append(f"- {key}: {inner}")
        else:
            lines.append(f"- {key}: {value}")
    return "\n".join(lines)


def write_report(
    out: str | Path,
    trials: Sequence[Trial],
    title: str = "socialrec report",
    settings: dict[str, Any] | None = None,
) -> Path:
    """report.json, report.md and the PNG plots, in ``out`` (atomically replaced)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "settings": settings or {},
        "trials": [r.summary() for r in trials],
    }
    _replace(out / "report.json", json.dumps(payload, indent=1, default=_json_default))
    md = [f"# {title}", ""]
    if settings:
        md += [settings_markdown(settings), ""]
    md += [markdown_table(trials), ""]
    tail = [r for r in trials if r.tail_curve]
    if tail:
        md += [
            "Long-tail trade-off (popularity-penalised re-ranking, first seed):",
            "",
            "| model | penalty | recall@20 | tail share@20 |",
            "|---|---:|---:|---:|",
        ]
        seen = set()
        for r in tail:
            if r.label in seen:
                continue
            seen.add(r.label)
            for p in r.tail_curve:
                md.append(
                    f"| {r.label} | {p['penalty']} | {p['recall@20']:.4f} | "
                    f"{p['tail_share@20']:.4f} |"
                )
    plots = _plots(out, trials)
    md += [""] + [f"![{name}]({name}.png)\n" for name in plots]
    _replace(out / "report.md", "\n".join(md))
    return out


def read_report(out: str | Path) -> list[Trial]:
    """The trials of a report written by :func:`write_report` (``[]`` when none)."""
    path = Path(out) / "report.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    trials = data["trials"] if isinstance(data, dict) else data  # reports before settings
    return [Trial.from_summary(s) for s in trials]


def read_settings(out: str | Path) -> dict[str, Any] | None:
    """The settings a report in ``out`` was made with (``None``: no report there)."""
    path = Path(out) / "report.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return dict(data.get("settings", {})) if isinstance(data, dict) else {}


def _replace(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def model_style(label: str) -> dict[str, Any]:
    """One colour per model in every plot of every report (an ensemble: dashed)."""
    import matplotlib

    palette = matplotlib.colormaps["tab10"]
    base = label.split(" (", 1)[0]
    # a model outside the registry still keeps one colour from run to run
    index = MODELS.index(base) if base in MODELS else len(MODELS) + zlib.crc32(base.encode()) % 3
    return {
        "color": palette(index % 10),
        "linestyle": "--" if "ensemble" in label else "-",
    }


def _plots(out: Path, trials: Sequence[Trial]) -> list[str]:
    """Draws what there is to draw; the names of the PNGs written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first: dict[str, Trial] = {}
    for r in trials:
        first.setdefault(r.label, r)
    written = []
    trained = {name: r for name, r in first.items() if r.result.history}
    stale = out / "training.png"
    if trained:  # baselines only: no empty training plot
        fig, (ax_loss, ax_valid) = plt.subplots(1, 2, figsize=(11, 4))
        for name, r in trained.items():
            hist = r.result.history
            style = model_style(name)
            ax_loss.plot([h["epoch"] for h in hist], [h["loss"] for h in hist], label=name, **style)
            valid = [h for h in hist if "valid_recall" in h]
            ax_valid.plot(
                [h["epoch"] for h in valid],
                [h["valid_recall"] for h in valid],
                marker=".",
                label=name,
                **style,
            )
        ax_loss.set(title="training loss", xlabel="epoch", ylabel="loss")
        ax_valid.set(title="validation Recall@20", xlabel="epoch", ylabel="recall@20")
        for ax in (ax_loss, ax_valid):
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        fig.savefig(stale, dpi=110)
        plt.close(fig)
        written.append("training")
    elif stale.exists():
        stale.unlink()

    if first:
        fig, ax = plt.subplots(figsize=(6, 4))
        for name in first:
            curves = np.array([r.test.recall_curve for r in trials if r.label == name])
            ks = np.arange(1, curves.shape[1] + 1)
            ax.plot(ks, curves.mean(0), label=name, **model_style(name))
        ax.set(title="test Recall@K", xlabel="K", ylabel="recall")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "recall_at_k.png", dpi=110)
        plt.close(fig)
        written.append("recall_at_k")
    return written
