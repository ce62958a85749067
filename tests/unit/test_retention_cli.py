"""`python -m bot conversations purge/erase` and the start-up purge, on SQLite and PostgreSQL."""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from bot.ops import cli
from bot.personal.identity import mint_token
from bot.settings import load_settings
from tests.unit.test_retention_rasa_events import TrackerWriter

SECRET = "retention-cli-test-secret-that-is-long-enough-0123456789"
DAY = 86400.0


@pytest.fixture
def env(monkeypatch, tmp_path: Path, case_store_url: str) -> dict[str, str]:
    values = {"TRACKER_STORE_URL": case_store_url, "CARECHAT_TOKEN_SECRET": SECRET,
              "CARECHAT_VAR_DIR": str(tmp_path / "var"), "CARECHAT_RETENTION_DAYS": "30"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def writer(env):
    writer = TrackerWriter(env["TRACKER_STORE_URL"])
    yield writer
    writer.close()


def test_erase_by_case_ref_removes_every_conversation_of_that_person(env, writer, capsys):
    settings = load_settings(env)
    ten_days_ago = time.time() - 10 * DAY
    writer.conversation("a1", ten_days_ago, ["hi"], token=mint_token("CASE-7", settings, now=ten_days_ago))
    writer.conversation("a2", time.time(), ["hi", "again"], token=mint_token("CASE-7", settings))
    writer.conversation("b", time.time(), ["hi"], token=mint_token("CASE-8", settings))
    assert cli.main(["conversations", "erase", "--case-ref", "CASE-7"]) == 0
    out = capsys.readouterr().out
    assert "erased 2 conversation(s)" in out and "CASE-7" not in out
    assert writer.senders() == ["b"]
    assert cli.main(["conversations", "erase", "--case-ref", "CASE-7"]) == 0
    assert "no conversations found" in capsys.readouterr().out


def test_erase_by_sender_id_still_works(env, writer, capsys):
    writer.conversation("one", time.time(), ["hi"])
    writer.conversation("two", time.time(), ["hi"])
    assert cli.main(["conversations", "erase", "one"]) == 0
    assert "erased 9 event(s)" in capsys.readouterr().out
    assert writer.senders() == ["two"]


def test_erase_needs_exactly_one_of_sender_id_or_case_ref(env, capsys):
    for argv in (["conversations", "erase"], ["conversations", "erase", "x", "--case-ref", "CASE-1"],
                 ["conversations", "erase", "--case-ref", "  "]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
        assert "Traceback" not in capsys.readouterr().err


def test_purge_command_and_start_up_purge_share_one_code_path(env, writer, capsys, monkeypatch, tmp_path):
    writer.conversation("old-1", time.time() - 40 * DAY, ["old"])
    writer.conversation("recent", time.time() - 1 * DAY, ["new"])
    assert cli.main(["conversations", "purge"]) == 0
    assert "removed 1 conversation(s) older than 30 days" in capsys.readouterr().out
    assert writer.senders() == ["recent"]

    # The start-up purge: start_stack purges, then starts the services (here: a stand-in that does nothing).
    writer.conversation("old-2", time.time() - 40 * DAY, ["old"])
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setattr("bot.ops.training.model_path", lambda: model)
    monkeypatch.setattr("bot.ops.stack.run_forever", lambda stack: 0)
    assert cli.start_stack(load_settings(env)) == 0
    assert "conversations older than 30 days removed: 1" in capsys.readouterr().out
    assert writer.senders() == ["recent"]


def test_purge_refuses_days_that_are_not_above_zero(env, capsys):
    for days in ("0", "-3", "soon", "nan"):
        with pytest.raises(SystemExit):
            cli.main(["conversations", "purge", "--days", days])
        assert "number of days" in capsys.readouterr().err


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+psycopg://carechat:hunter2secret@127.0.0.1:{port}/carechat"


def test_a_database_that_is_down_gives_one_plain_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TRACKER_STORE_URL", _closed_port_url())
    monkeypatch.setenv("CARECHAT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CARECHAT_TOKEN_SECRET", SECRET)
    for argv in (["conversations", "purge"], ["conversations", "erase", "x"],
                 ["conversations", "erase", "--case-ref", "CASE-1"]):
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("CareChat: could not use the conversation store (OperationalError)")
        assert "hunter2secret" not in err and "Traceback" not in err


def test_start_up_purge_does_not_block_the_start_when_the_database_is_down(monkeypatch, tmp_path, capsys):
    settings = load_settings({"TRACKER_STORE_URL": _closed_port_url(), "CARECHAT_VAR_DIR": str(tmp_path)})
    cli._purge_at_start(settings)
    err = capsys.readouterr().err
    assert "could not remove old conversations now (OperationalError)" in err and "tries again every" in err


def test_an_unsupported_tracker_store_is_refused(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TRACKER_STORE_URL", "mysql://u:hunter2secret@db/x")
    monkeypatch.setenv("CARECHAT_VAR_DIR", str(tmp_path))
    assert cli.main(["conversations", "purge"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("CareChat: TRACKER_STORE_URL uses 'mysql'") and "hunter2secret" not in err
