import pytest

from socialrec.config import ConnectionSettings
from socialrec.graph.gds import open_gds
from socialrec.graph.runner import Neo4jRunner
from socialrec.load.writer import GraphWriter

pytestmark = pytest.mark.integration


def test_gds_client_projects_and_computes(
    db: Neo4jRunner, neo4j_settings: ConnectionSettings
) -> None:
    GraphWriter(db).interactions([1, 1, 2, 3], [10, 11, 10, 10])
    gds = open_gds(neo4j_settings)
    try:
        projection = gds.graph.project.native(
            "socialrec-test",
            ["User", "Item"],
            {"INTERACTED": {"orientation": "UNDIRECTED"}},
            log_progress=False,
        )
        graph = projection.graph
        try:
            assert graph.node_count() == 5 and graph.relationship_count() == 8
            degrees = gds.degree.stream(graph, log_progress=False)
            by_node = dict(zip(degrees["nodeId"], degrees["score"], strict=True))
            item10 = gds.run_cypher("MATCH (i:Item {id: 10}) RETURN id(i) AS n")["n"][0]
            assert by_node[item10] == 3.0
            emb = gds.fast_rp.stream(
                graph, embedding_dimension=8, random_seed=1, log_progress=False
            )
            assert len(emb) == 5 and all(len(e) == 8 for e in emb["embedding"])
        finally:
            gds.graph.drop(graph)
    finally:
        gds.close()
