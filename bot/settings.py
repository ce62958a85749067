"""One place that reads CareChat's configuration from the environment.

Every service (gateway, action server, CLI) reads the same variables, so a council
configures one ``.env``-style set of values and all three agree.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The secret used when nothing else is configured. Only acceptable in demo mode.
DEVELOPMENT_TOKEN_SECRET = "carechat-development-secret-not-for-production"

DEFAULT_COUNCIL = "north_yorkshire"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; build it with :func:`load_settings`."""

    gateway_host: str
    gateway_port: int
    rasa_url: str
    rasa_port: int
    action_port: int
    case_store_url: str
    token_secret: str
    token_issuer: str
    token_audience: str
    token_ttl_seconds: int
    council: str
    demo_mode: bool
    var_dir: Path
    retention_days: float

    @property
    def tracker_db_path(self) -> Path:
        """Rasa's SQLite tracker store (conversations), inside the runtime folder."""
        return self.var_dir / "tracker.sqlite"

    @property
    def tracker_url(self) -> str:
        """The tracker store as a SQLAlchemy URL, for retention, erasure and the safety report."""
        return f"sqlite:///{self.tracker_db_path}"

    @property
    def uses_development_secret(self) -> bool:
        return self.token_secret == DEVELOPMENT_TOKEN_SECRET


class ConfigurationError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete; the message says how to fix it."""


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("CARECHAT_VAR_DIR", PROJECT_ROOT / "var"))
    rasa_port = int(env.get("RASA_PORT", "5005"))
    return Settings(
        gateway_host=env.get("GATEWAY_HOST", "127.0.0.1"),
        gateway_port=int(env.get("GATEWAY_PORT", "8080")),
        rasa_url=env.get("RASA_URL", f"http://127.0.0.1:{rasa_port}"),
        rasa_port=rasa_port,
        action_port=int(env.get("ACTION_PORT", "5055")),
        case_store_url=env.get("CASE_STORE_URL", f"sqlite:///{var_dir / 'casestore.sqlite'}"),
        token_secret=env.get("CARECHAT_TOKEN_SECRET", DEVELOPMENT_TOKEN_SECRET),
        token_issuer=env.get("CARECHAT_TOKEN_ISSUER", "carechat-gateway"),
        token_audience=env.get("CARECHAT_TOKEN_AUDIENCE", "carechat-actions"),
        token_ttl_seconds=int(env.get("CARECHAT_TOKEN_TTL_SECONDS", "300")),
        council=env.get("CARECHAT_COUNCIL", DEFAULT_COUNCIL),
        demo_mode=_flag(env.get("CARECHAT_DEMO_MODE"), default=False),
        var_dir=var_dir,
        retention_days=float(env.get("CARECHAT_RETENTION_DAYS", "30")),
    )


def require_safe_secret(settings: Settings) -> None:
    """Refuse to run outside demo mode with the published development secret."""
    if settings.uses_development_secret and not settings.demo_mode:
        raise ConfigurationError(
            "CARECHAT_TOKEN_SECRET is not set. Outside demo mode CareChat will not start with "
            "the development secret: set CARECHAT_TOKEN_SECRET to a long random value shared "
            "by the gateway and the action server (or set CARECHAT_DEMO_MODE=true to try it out)."
        )
