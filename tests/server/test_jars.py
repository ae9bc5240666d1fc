"""The Neo4j and GDS jars from Maven Central (socialrec/server/jars.py)."""

from socialrec.server.jars import _pom


def test_pom_names_server_and_gds_artifacts() -> None:
    pom = _pom("5.26.24", "2.13.9")
    for artifact in (
        "neo4j",
        "neo4j-server",
        "proc",
        "opengds-extension",
        "open-model-catalog",
        "open-write-services",
    ):
        assert f"<artifactId>{artifact}</artifactId>" in pom
    assert "<version>5.26.24</version>" in pom and "<version>2.13.9</version>" in pom
