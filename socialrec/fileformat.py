"""The one file format of snapshots and checkpoints: a ``weights_only`` torch file.

Every socialrec file is a dict with ``kind`` (``"socialrec-snapshot"`` or
``"socialrec-checkpoint"``), ``format_version`` and ``digest``: a SHA-256 over
the rest of its content. torch does not check the zip's CRCs, so a file with
flipped bytes would otherwise load and train; :func:`load_payload` recomputes
the digest and refuses a file that does not match. Files are written to a
temporary name and renamed, so a crash never leaves half a file under the real
name. Loading needs no pickled code (``weights_only=True``).
"""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from socialrec.errors import SocialrecError

KINDS = {
    "socialrec-snapshot": "snapshot",
    "socialrec-checkpoint": "checkpoint",
    "socialrec-served": "served lists file",
}


class FileFormatError(SocialrecError):
    """A file is missing, of another kind, of another version, truncated or corrupt."""


def digest(value: Any) -> str:
    """SHA-256 of a payload made of dicts, lists, tensors, strings and numbers."""
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, dict):
        h.update(b"{")
        for key in sorted(value, key=str):
            h.update(repr(key).encode())
            _feed(h, value[key])
        h.update(b"}")
    elif isinstance(value, (list, tuple)):
        h.update(f"[{len(value)}".encode())
        for v in value:
            _feed(h, v)
        h.update(b"]")
    elif isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        if t.numel():
            # bytes of the storage as they are (bool and bf16 tensors too)
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(value, np.ndarray):
        _feed(h, torch.from_numpy(np.ascontiguousarray(value)))
    else:
        h.update(f"{type(value).__name__}:{value!r};".encode())


def save_payload(path: str | Path, kind: str, version: int, payload: dict[str, Any]) -> Path:
    """Write ``payload`` with its kind, version and digest; atomically."""
    path = Path(path)
    body = {"kind": kind, "format_version": version, **payload}
    body["digest"] = digest(body)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(body, tmp)
    tmp.replace(path)
    return path


def _open(path: Path, kind: str, mmap: bool) -> dict[str, Any]:
    noun = f"socialrec {KINDS[kind]}"
    if not path.exists():
        raise FileFormatError(f"{path}: no such file (expected a {noun})")
    if path.is_dir():
        raise FileFormatError(f"{path}: is a folder, not a {noun}")
    if not zipfile.is_zipfile(path):
        # every torch file since 1.6 is a zip archive; a cut-off one has no directory
        raise FileFormatError(
            f"{path}: not a {noun} (not a torch file, or truncated); write it again"
        )
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu", mmap=mmap)
    except pickle.UnpicklingError as e:
        # weights_only refused: the file holds pickled code or objects
        raise FileFormatError(
            f"{path}: not a {noun}: it holds Python objects that socialrec never writes, "
            "and loading them could run code, so it is refused"
        ) from e
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError) as e:
        raise FileFormatError(
            f"{path}: truncated or corrupt {noun} ({type(e).__name__}); write it again"
        ) from e
    if not isinstance(payload, dict):
        raise FileFormatError(f"{path}: not a {noun}")
    return payload


def peek_payload(path: str | Path, kind: str) -> dict[str, Any]:
    """The file's content memory-mapped and unchecked: cheap reads of small fields."""
    path = Path(path)
    payload = _open(path, kind, mmap=True)
    _check_kind(path, payload, kind)
    return payload


def load_payload(path: str | Path, kind: str, version: int) -> dict[str, Any]:
    """Read a file written by :func:`save_payload`, checking kind, version and digest."""
    path = Path(path)
    payload = _open(path, kind, mmap=False)
    _check_kind(path, payload, kind)
    if payload.get("format_version") != version:
        raise FileFormatError(
            f"{path}: {KINDS[kind]} format {payload.get('format_version')!r}, but this "
            f"socialrec reads format {version}; write it again with this version"
        )
    stored = payload.pop("digest", None)
    if stored != digest(payload):
        raise FileFormatError(
            f"{path}: content does not match its digest (the file was modified or damaged); "
            "write it again"
        )
    return payload


def _check_kind(path: Path, payload: dict[str, Any], kind: str) -> None:
    found = payload.get("kind")
    if found == kind:
        return
    if found in KINDS:
        raise FileFormatError(
            f"{path}: this is a socialrec {KINDS[found]}, not a {KINDS[kind]}"
            + (
                " (pass it with --snapshot)"
                if found == "socialrec-snapshot"
                else " (pass it with --checkpoint)"
            )
        )
    raise FileFormatError(f"{path}: not a socialrec {KINDS[kind]}")
