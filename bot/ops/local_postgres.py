"""A throwaway PostgreSQL of our own (``scripts/postgres-for-tests``), restartable like a real one.

Why: the fault tests restart the tracker store's database under load, and the scale bench needs
a shared tracker store for two Rasa replicas; neither may touch a council's database.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bot.settings import PROJECT_ROOT

PG_SCRIPT = PROJECT_ROOT / "scripts" / "postgres-for-tests"


def postgres_installed() -> bool:
    """Whether Debian's PostgreSQL server programs are on this machine."""
    return any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))


@dataclass
class LocalPostgres:
    """One PostgreSQL in ``folder`` on 127.0.0.1:``port``; ``url`` is set by :meth:`start`.

    Run as root, the server runs as the postgres user, so every folder above ``folder`` must be
    enterable by it (a folder directly under /tmp is; ``tempfile.mkdtemp``'s 0700 one is not).
    """

    folder: Path
    port: int
    url: str = ""

    def _run(self, action: str) -> str:
        env = {**os.environ, "CARECHAT_PG_DIR": str(self.folder), "CARECHAT_PG_PORT": str(self.port)}
        return subprocess.run([str(PG_SCRIPT), action], env=env, check=True, capture_output=True,
                              text=True).stdout.strip()

    def start(self) -> "LocalPostgres":
        self.url = self._run("start")
        return self

    def restart(self) -> None:
        """Every connection dropped, the server back (``pg_ctl restart -m fast``)."""
        self._run("restart")

    def stop(self) -> None:
        self._run("stop")
