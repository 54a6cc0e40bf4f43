from __future__ import annotations

from pathlib import Path

import pytest

from indexer.config import ConfigError, load_settings, pool_warning, setting_names


def test_precedence_defaults_dotenv_env_flags(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("MAX_WORKERS=3\nNEO4J_URI=bolt://from-dotenv:7687\nEMBED_MODE=hash\n")
    s = load_settings(environ={"MAX_WORKERS": "5"}, dotenv_path=dotenv)
    assert (s.max_workers, s.uri, s.embed.mode) == (5, "bolt://from-dotenv:7687", "hash")
    s = load_settings({"MAX_WORKERS": 7}, environ={"MAX_WORKERS": "5"}, dotenv_path=dotenv)
    assert s.max_workers == 7
    assert s.effective_pool_size == 14  # default: workers x 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAX_WORKERS": "0"}, "MAX_WORKERS=0 is out of range; valid range is 1..128"),
        ({"MAX_WORKERS": "129"}, "MAX_WORKERS=129 is out of range; valid range is 1..128"),
        ({"MAX_WORKERS": "four"}, "MAX_WORKERS='four' is not a number; valid range is 1..128"),
        ({"NEO4J_MAX_CONNECTION_POOL_SIZE": "0"}, "NEO4J_MAX_CONNECTION_POOL_SIZE=0 is out of range"),
        ({"PARALLEL_INDEXING_ENABLED": "maybe"}, "PARALLEL_INDEXING_ENABLED='maybe' is not a boolean"),
        ({"INDEXING_MODE": "fast"}, "INDEXING_MODE='fast' is not one of"),
        ({"EMBED_MODE": "magic"}, "EMBED_MODE='magic' is not one of"),
        ({"EMBED_MODE": "openai"}, "EMBED_MODE=openai needs OPENAI_API_KEY"),
        ({"NEO4J_URI": "garbage"}, "NEO4J_URI='garbage' is not a Bolt URI"),
        ({"NEO4J_URI": "http://localhost:7474"}, "NEO4J_URI='http://localhost:7474' is not a Bolt URI"),
    ],
)
def test_invalid_values_name_the_setting_and_range(env, message) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env, dotenv_path=None)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_uri_with_credentials_is_refused_without_showing_the_password() -> None:
    # the driver refuses them too, in an error that quotes the whole URI
    for uri in ("bolt://neo4j:Hunter2pw@127.0.0.1:7687", "bolt://neo4j:Hun/ter2pw@127.0.0.1:7687",
                "bolt://neo4j:Hun@ter2pw@127.0.0.1:7687"):  # (a '/' or '@' in the password too)
        with pytest.raises(ConfigError) as err:
            load_settings(environ={"NEO4J_URI": uri}, dotenv_path=None)
        assert "NEO4J_USER and NEO4J_PASSWORD" in str(err.value)
        assert "ter2pw" not in str(err.value) and "bolt://***@127.0.0.1:7687" in str(err.value)
    for uri in ("bolt://neo4j:pa?Sup3r@127.0.0.1:7687", "neo4j:Sup3rSecret@127.0.0.1:7687"):  # (malformed too)
        with pytest.raises(ConfigError, match="carries credentials") as err:
            load_settings(environ={"NEO4J_URI": uri}, dotenv_path=None)
        assert "Sup3r" not in str(err.value) and "***@127.0.0.1:7687" in str(err.value)
    # IPv6 hosts, paths and queries are Bolt URIs too
    for uri in ("neo4j://h?ctx=a", "neo4j+s://[::1]:7687/db?x=1"):
        assert load_settings(environ={"NEO4J_URI": uri}, dotenv_path=None).uri == uri


def test_a_typo_of_a_setting_in_dotenv_is_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("NEO4J_PASWORD=secret\nNEO4J_AUTH=neo4j/other\nDJANGO_DEBUG=1\n")
    with caplog.at_level("WARNING", logger="indexer.config"):
        s = load_settings(environ={}, dotenv_path=dotenv)
    assert s.password is None
    assert [r.getMessage() for r in caplog.records] == [
        f"{dotenv} sets NEO4J_PASWORD, which is no codegraph setting (left alone): did you mean NEO4J_PASSWORD?"]


def test_other_tools_settings_in_dotenv_are_left_alone(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("DJANGO_SECRET_KEY=abc\nMAX_WORKERS=3\nEMBED_MODE=openai\nEMBED_API_KEY=sk-from-dotenv\n")
    s = load_settings(environ={}, dotenv_path=dotenv)
    assert (s.max_workers, s.embed.api_key) == (3, "sk-from-dotenv")
    with pytest.raises(ConfigError, match="unknown setting MAX_WORKER$"):  # flags are still checked
        load_settings({"MAX_WORKER": 2}, environ={}, dotenv_path=None)


def test_small_pool_is_a_warning_not_an_error() -> None:
    s = load_settings(environ={"MAX_WORKERS": "8", "NEO4J_MAX_CONNECTION_POOL_SIZE": "2"}, dotenv_path=None)
    warning = pool_warning(s, 8)
    assert warning is not None and "smaller than the 8 workers" in warning
    assert pool_warning(s, 2) is None


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    missing = [name for name in setting_names() if f"{name}=" not in example and f"# {name}" not in example]
    assert missing == []
