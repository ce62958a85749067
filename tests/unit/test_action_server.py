"""The action server refuses to serve personal lookups with the development secret in production."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_refuses_to_start_with_development_secret_outside_demo_mode():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECHAT_")}
    env.update(CARECHAT_DEMO_MODE="false", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "bot.ops.action_server", "--actions", "actions"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "CARECHAT_TOKEN_SECRET" in result.stderr
    assert "Traceback" not in result.stderr
