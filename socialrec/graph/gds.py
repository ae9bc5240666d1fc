"""The Graph Data Science client, opened with socialrec's connection settings."""

from __future__ import annotations

from typing import Any

from socialrec.config import ConnectionSettings
from socialrec.errors import DatabaseError


def open_gds(settings: ConnectionSettings) -> Any:
    """A ``graphdatascience.GraphDataScience`` client for ``settings``.

    Raises :class:`DatabaseError` if the server is unreachable or has no GDS.
    """
    from graphdatascience import GraphDataScience  # heavy import, only when used

    try:
        return GraphDataScience(
            settings.uri,
            auth=(settings.user, settings.password),
            database=settings.database,
        )
    except Exception as e:  # the client raises plain exceptions for a missing plugin
        raise DatabaseError(f"cannot open the GDS client on {settings.uri}: {e}") from e
