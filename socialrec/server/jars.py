"""The Neo4j server and OpenGDS jars, resolved from Maven Central by the machine's Maven.

No Neo4j tarball is published on Maven Central, but every jar is: :func:`provision`
writes a one-off ``pom.xml`` and copies the dependencies into a cache folder
outside the repository (first run downloads, later runs reuse it).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from socialrec.errors import ServerError

if TYPE_CHECKING:
    from socialrec.server.local import ServerSettings


def _pom(neo4j_version: str, gds_version: str) -> str:
    deps = [
        ("org.neo4j", "neo4j", neo4j_version),
        ("org.neo4j.app", "neo4j-server", neo4j_version),
        ("org.neo4j.gds", "proc", gds_version),
        ("org.neo4j.gds", "opengds-extension", gds_version),
        ("org.neo4j.gds", "open-model-catalog", gds_version),
        ("org.neo4j.gds", "open-write-services", gds_version),
    ]
    xml = "".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId>"
        f"<version>{v}</version></dependency>"
        for g, a, v in deps
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>socialrec</groupId><artifactId>neo4j-runtime</artifactId><version>1</version>"
        f"<packaging>pom</packaging><dependencies>{xml}</dependencies></project>"
    )


def provision(settings: ServerSettings, log: bool = True) -> Path:
    """Resolve the server and GDS jars into ``settings.jar_dir``; return it.

    Idempotent: a finished folder carries a ``.complete`` marker and is reused.
    Jar file names are prefixed with their group id, so the GDS jars
    (``org.neo4j.gds.*``) can be told apart.
    """
    target = settings.jar_dir
    if (target / ".complete").exists():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServerError(
            "Maven (mvn) is needed to download Neo4j and GDS from Maven Central; install it "
            "(e.g. `apt-get install maven`) or point NEO4J_URI at an existing server"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".download-", dir=target.parent))
    try:
        (work / "pom.xml").write_text(_pom(settings.neo4j_version, settings.gds_version))
        if log:
            print(
                f"Downloading Neo4j {settings.neo4j_version} + GDS {settings.gds_version} "
                "from Maven Central (first run only)...",
                flush=True,
            )
        result = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(work / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={work / 'lib'}",
                "-Dmdep.prependGroupId=true",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise ServerError(f"Maven could not resolve the Neo4j/GDS jars:\n{tail}")
        (work / "lib" / ".complete").write_text("ok\n")
        if target.exists():
            shutil.rmtree(target)
        (work / "lib").rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def gds_jars(jar_dir: Path) -> list[Path]:
    return sorted(jar_dir.glob("org.neo4j.gds.*.jar"))
