"""``python -m bot.gateway`` refuses unsafe settings (the published secret outside demo mode, a bad proxy list) with one line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_refuses_dev_secret_outside_demo_mode_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECHAT_")}
    env.update({"CARECHAT_DEMO_MODE": "false", "CARECHAT_VAR_DIR": str(tmp_path), "GATEWAY_PORT": "1"})
    result = subprocess.run(
        [sys.executable, "-m", "bot.gateway"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "CARECHAT_TOKEN_SECRET" in lines[0]


def test_refuses_a_trusted_proxy_that_is_not_an_address_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECHAT_")}
    env.update({"CARECHAT_DEMO_MODE": "false", "CARECHAT_VAR_DIR": str(tmp_path), "GATEWAY_PORT": "1",
                "CARECHAT_TOKEN_SECRET": "a-long-enough-test-secret-" + "x" * 32,
                "CARECHAT_TRUSTED_PROXIES": "10.0.0.1, proxy.example"})
    result = subprocess.run(
        [sys.executable, "-m", "bot.gateway"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "CARECHAT_TRUSTED_PROXIES" in lines[0] and "proxy.example" in lines[0]
