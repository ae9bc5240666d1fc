"""A plain `pip install .` (not editable) carries the query library and the bundled data."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_the_cypher_files_and_the_bundled_lastfm(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, src / part)
    for folder in ("socialrec", "cypher", "data"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    wheel = next((tmp_path / "dist").glob("socialrec-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("user_artist.dat", "user_user.dat", "artist_tag.dat", "artist_name.dat"):
        assert f"socialrec/datasets/lastfm-hetrec/{name}" in names
    for name in ("movie-ratings.txt", "trusts.txt", "genre_name.txt", "ATTRIBUTION.md"):
        assert f"socialrec/datasets/ciaodvd/{name}" in names
    assert "socialrec/cypher/recommend.cypher" in names
    assert "socialrec/datasets/lastfm-hetrec/ATTRIBUTION.md" in names
    # every module of the source tree is in the wheel (a subpackage missing from
    # pyproject's list would import in an editable install and nowhere else)
    for module in sorted((ROOT / "socialrec").rglob("*.py")):
        if "__pycache__" not in module.parts:
            rel = module.relative_to(ROOT).as_posix()
            assert rel in names, f"{rel} is not in the wheel: add its package to pyproject.toml"
