"""The Java that runs the local Neo4j server, and its command line.

Launching Neo4j's main class directly (see :mod:`.local`) skips the launcher
script, so the JVM flags its default ``neo4j.conf`` lists go on the command line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from socialrec.errors import ServerError

# Flags from the `server.jvm.additional` list of Neo4j 5.26's default neo4j.conf.
_JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
)
_SUPPORTED_JAVA = (17, 21)


def find_java() -> tuple[str, int]:
    """The ``java`` to run Neo4j with, and its major version.

    ``$JAVA_HOME`` wins, then ``java`` on the PATH. Neo4j 5.26 runs on Java 17 or 21.
    """
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise ServerError("no Java found: Neo4j 5.26 needs Java 17 or 21 (set JAVA_HOME)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise ServerError(f"cannot tell the version of {java}: {out.stderr.strip()[:200]}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    if major not in _SUPPORTED_JAVA:
        raise ServerError(
            f"{java} is Java {major}; Neo4j 5.26 runs on Java 17 or 21 (set JAVA_HOME to one)"
        )
    return java, major


def jvm_command(java: str, heap: str, classpath: str, main: str) -> list[str]:
    """``java`` running ``main`` with a fixed ``heap`` and Neo4j's JVM flags."""
    return [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        *_JVM_FLAGS,
        "-cp",
        classpath,
        main,
    ]
