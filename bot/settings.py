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

#: Where Rasa and the action server listen unless CARECHAT_BIND_HOST says otherwise: this
#: machine only, since only the gateway (and Rasa, for the action server) need to reach them.
DEFAULT_BIND_HOST = "127.0.0.1"

#: Shortest token secret accepted outside demo mode: HS256 wants a key at least as long as its hash.
MIN_SECRET_BYTES = 32


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def connect_host(bind_host: str) -> str:
    """The address to reach a service bound to ``bind_host`` (an any-address means this machine)."""
    host = bind_host.strip()
    if host in {"", "0.0.0.0", "::", "[::]"}:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; build it with :func:`load_settings`."""

    gateway_host: str
    gateway_port: int
    rasa_url: str
    rasa_port: int
    action_port: int
    bind_host: str
    action_url: str
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
    action_port = int(env.get("ACTION_PORT", "5055"))
    bind_host = env.get("CARECHAT_BIND_HOST", "").strip() or DEFAULT_BIND_HOST
    reach = connect_host(bind_host)
    return Settings(
        gateway_host=env.get("GATEWAY_HOST", "127.0.0.1"),
        gateway_port=int(env.get("GATEWAY_PORT", "8080")),
        rasa_url=env.get("RASA_URL", f"http://{reach}:{rasa_port}"),
        rasa_port=rasa_port,
        action_port=action_port,
        bind_host=bind_host,
        action_url=env.get("ACTION_URL", f"http://{reach}:{action_port}"),
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


def secret_problem(settings: Settings, *, production: bool = False) -> str | None:
    """Why the token secret is unsafe for these settings, or None.

    Anyone who knows the secret can sign a token for any case reference, so outside demo mode
    (and always for ``production``, the ``python -m bot serve`` path) the published development
    secret and short, guessable secrets are refused. In demo mode anything goes: only fictional
    people can be signed in.
    """
    if settings.demo_mode and not production:
        return None
    if settings.uses_development_secret:
        if production:
            return ("CARECHAT_TOKEN_SECRET is not set, and the published development secret would let anyone "
                    f"sign in as any young person: set it to a random value of at least {MIN_SECRET_BYTES} bytes, "
                    "the same for the gateway and the action server.")
        return ("CARECHAT_TOKEN_SECRET is not set. Outside demo mode CareChat will not start with "
                "the development secret: set CARECHAT_TOKEN_SECRET to a long random value shared "
                "by the gateway and the action server (or set CARECHAT_DEMO_MODE=true to try it out).")
    if len(settings.token_secret.encode("utf-8")) < MIN_SECRET_BYTES:
        return (f"CARECHAT_TOKEN_SECRET is too short to keep tokens from being forged: set it to a random "
                f"value of at least {MIN_SECRET_BYTES} bytes, for example the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
    return None


def require_safe_secret(settings: Settings) -> None:
    """Refuse to run outside demo mode with the published development secret or a short one."""
    problem = secret_problem(settings)
    if problem is not None:
        raise ConfigurationError(problem)
