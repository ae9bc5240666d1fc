from pathlib import Path

import pytest

from socialrec.config import ConnectionSettings, read_config_file, resolve_connection
from socialrec.errors import ConfigError


def test_password_is_not_in_repr_or_description() -> None:
    s = ConnectionSettings("bolt://h:7687", "neo4j", "s3cret-pw")
    assert "s3cret-pw" not in repr(s)
    assert "s3cret-pw" not in s.describe()


def test_option_beats_config_beats_local() -> None:
    config = {"neo4j": {"uri": "bolt://cfg:7687", "user": "cfguser", "password": "cfgpw"}}
    local = {"uri": "bolt://127.0.0.1:7687", "user": "neo4j", "password": "localpw"}
    s = resolve_connection(
        uri="bolt://opt:7687", password="optpw", config=config, local_credentials=local
    )
    assert (s.uri, s.password) == ("bolt://opt:7687", "optpw")
    s = resolve_connection(config=config, local_credentials=local)
    assert (s.uri, s.user, s.password) == ("bolt://cfg:7687", "cfguser", "cfgpw")
    s = resolve_connection(local_credentials=local)
    assert (s.uri, s.password) == ("bolt://127.0.0.1:7687", "localpw")


def test_password_env_indirection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_NEO4J_PW", "from-env")
    s = resolve_connection(config={"neo4j": {"uri": "bolt://x", "password_env": "MY_NEO4J_PW"}})
    assert s.password == "from-env"


def test_nothing_configured_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="NEO4J_URI"):
        resolve_connection()


def test_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOCIALREC_CONFIG", raising=False)
    assert read_config_file(None) == {}
    (tmp_path / "socialrec.toml").write_text('[neo4j]\nuri = "bolt://c:1"\n')
    assert read_config_file(None)["neo4j"]["uri"] == "bolt://c:1"
    with pytest.raises(ConfigError, match="not found"):
        read_config_file(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[neo4j\n")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        read_config_file(tmp_path / "bad.toml")


def test_settings_from_env_reads_the_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_NEO4J_URI", "bolt://db:7687")
    monkeypatch.setenv("MY_NEO4J_PASSWORD", "pw")
    monkeypatch.setenv("MY_NEO4J_DATABASE", "recs")
    s = ConnectionSettings.from_env("MY_NEO4J_")
    assert s == ConnectionSettings("bolt://db:7687", "neo4j", "pw", "recs")
    monkeypatch.setenv("MY_NEO4J_URI", "")
    assert ConnectionSettings.from_env("MY_NEO4J_") is None
