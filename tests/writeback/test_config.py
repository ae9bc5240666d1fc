"""WritebackConfig (socialrec/writeback/config.py): settings that cannot work are errors."""

from __future__ import annotations

import pytest

from socialrec.errors import ConfigError
from socialrec.mapping import GraphMapping
from socialrec.writeback import WritebackConfig

MAPPING = GraphMapping()
SMALL = WritebackConfig(k=5, batch_size=40)


@pytest.mark.parametrize(
    "field, value",
    [("k", 0), ("k", -5), ("keep_runs", 0), ("writers", 0), ("batch_size", 0)],
)
def test_bad_writeback_settings_are_errors(field: str, value: int) -> None:
    with pytest.raises(ConfigError, match=field):
        WritebackConfig(**{field: value})  # type: ignore[arg-type]
