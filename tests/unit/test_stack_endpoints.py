"""Rasa's endpoints file: the tracker store comes from TRACKER_STORE_URL, on SQLite or PostgreSQL.

The file is read back the way Rasa 3.6 reads it (``rasa.shared.utils.io.read_yaml``: an
all-ASCII file has its ``\\u`` escapes decoded first, then ruamel's safe loader, YAML 1.2), and
the ``tracker_store`` entry is turned into a database URL the way ``SQLTrackerStore.get_db_url``
does, so the tests check what Rasa will connect to, not just what we wrote.
"""
from __future__ import annotations

import stat
from pathlib import Path
from urllib import parse

import pytest
from sqlalchemy.engine import URL, make_url

from bot.ops.stack import build_services, runtime_endpoints, service_env
from bot.settings import ConfigurationError, load_settings

SECRET = "stack-endpoints-test-secret-long-enough-0123456789"


def settings_for(tmp_path: Path, tracker_url: str | None = None):
    env = {"CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_VAR_DIR": str(tmp_path / "var")}
    if tracker_url is not None:
        env["TRACKER_STORE_URL"] = tracker_url
    return load_settings(env)


def read_like_rasa(path: Path) -> dict:
    """rasa.shared.utils.io.read_yaml, as far as it matters here."""
    ruamel_yaml = pytest.importorskip("ruamel.yaml")
    content = path.read_text(encoding="utf-8")
    if all(ord(c) < 128 for c in content):
        content = (content.encode("utf-8").decode("raw_unicode_escape")
                   .encode("utf-16", "surrogatepass").decode("utf-16"))
    reader = ruamel_yaml.YAML(typ="safe")
    reader.version = (1, 2)
    return reader.load(content)


def rasa_db_url(entry: dict) -> URL:
    """SQLTrackerStore.get_db_url(dialect, host=url, port, db, username, password, query) from Rasa 3.6."""
    host, port = entry.get("url"), entry.get("port")
    if host:
        parsed = parse.urlsplit(f"scheme://{host}")
        port = parsed.port or port
        host = parsed.hostname or host
    return URL.create(entry["dialect"], entry.get("username"), entry.get("password"), host, port,
                      database=entry.get("db", "rasa.db"), query=entry.get("query") or {})


def test_default_is_sqlite_under_var(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    config = read_like_rasa(runtime_endpoints(settings))
    db = str(tmp_path / "var" / "tracker.sqlite")
    assert config["tracker_store"] == {"type": "SQL", "dialect": "sqlite", "db": db}
    assert config["action_endpoint"] == {"url": "http://127.0.0.1:5055/webhook"}


def test_sqlite_elsewhere_gets_its_folder(tmp_path: Path) -> None:
    db = tmp_path / "data" / "conversations" / "tracker.sqlite"
    config = read_like_rasa(runtime_endpoints(settings_for(tmp_path, f"sqlite:///{db}")))
    assert config["tracker_store"]["db"] == str(db)
    assert db.parent.is_dir()
    assert rasa_db_url(config["tracker_store"]).database == str(db)


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg", "postgresql+psycopg2"])
def test_postgresql_becomes_rasas_sql_tracker_store(tmp_path: Path, scheme: str) -> None:
    url = f"{scheme}://carechat:s3cret@db.council.example:6543/conversations?sslmode=require"
    config = read_like_rasa(runtime_endpoints(settings_for(tmp_path, url)))
    assert config["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql", "url": "db.council.example", "port": 6543,
        "db": "conversations", "username": "carechat", "password": "s3cret", "query": {"sslmode": "require"},
    }
    # Rasa's engine env has psycopg2: dialect "postgresql" is psycopg2 there, whatever the URL named.
    assert rasa_db_url(config["tracker_store"]) == make_url(url).set(drivername="postgresql")


def test_awkward_passwords_reach_rasa_unchanged(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", "/should/not/appear")
    password = 'p@ss w:rd/"quote"\\back#hash ${HOME} $HOME {x} \'single\' ünï 😀'
    url = URL.create("postgresql", "care chat", password, "db", 5432, "carechat")
    config = read_like_rasa(runtime_endpoints(settings_for(tmp_path, url.render_as_string(hide_password=False))))
    assert config["tracker_store"]["password"] == password
    assert config["tracker_store"]["username"] == "care chat"


def test_no_port_no_password_and_ipv6(tmp_path: Path) -> None:
    config = read_like_rasa(runtime_endpoints(settings_for(tmp_path, "postgresql://carechat@[::1]/carechat")))
    entry = config["tracker_store"]
    assert "port" not in entry and "password" not in entry
    assert entry["url"] == "[::1]"
    assert rasa_db_url(entry).host == "::1"


def test_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "postgresql://carechat:s3cret@db/carechat")
    path = settings.var_dir / "endpoints.runtime.yml"
    path.parent.mkdir(parents=True)
    path.write_text("old, world-readable\n")
    path.chmod(0o644)
    assert runtime_endpoints(settings) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not Path(f"{path}.tmp").exists()


@pytest.mark.parametrize("url", ["mysql://carechat:hunter2secret@db/carechat", "postgres://u:hunter2secret@db/x",
                                 "redis://:hunter2secret@cache:6379", "sqlite://"])
def test_unsupported_tracker_store_is_refused_before_anything_starts(tmp_path: Path, url: str) -> None:
    settings = settings_for(tmp_path, url)
    with pytest.raises(ConfigurationError) as error:
        runtime_endpoints(settings)
    assert "SQLite" in str(error.value) and "hunter2secret" not in str(error.value)
    assert not (settings.var_dir / "endpoints.runtime.yml").exists()
    with pytest.raises(ConfigurationError):
        build_services(settings, tmp_path / "model.tar.gz")


def test_every_service_gets_the_same_tracker_store(tmp_path: Path) -> None:
    url = "postgresql+psycopg://carechat:s3cret@db/carechat"
    env = service_env(load_settings({"TRACKER_STORE_URL": url, "CARECHAT_PURGE_INTERVAL_SECONDS": "600",
                                     "CARECHAT_VAR_DIR": str(tmp_path)}))
    assert env["TRACKER_STORE_URL"] == url
    assert load_settings(env).tracker_url == url
    assert load_settings(env).purge_interval_seconds == 600
