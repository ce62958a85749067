"""One place that reads CareChat's configuration from the environment.

Every service (gateway, action server, CLI) reads the same variables, so a council
configures one ``.env``-style set of values and all three agree.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The secret used when nothing else is configured. Only acceptable in demo mode.
DEVELOPMENT_TOKEN_SECRET = "carechat-development-secret-not-for-production"

DEFAULT_COUNCIL = "north_yorkshire"

#: Where Rasa and the action server listen unless CARECHAT_BIND_HOST says otherwise: this
#: machine only, since only the gateway (and Rasa, for the action server) need to reach them.
DEFAULT_BIND_HOST = "127.0.0.1"

DEFAULT_PURGE_INTERVAL_SECONDS = 3600.0
DEFAULT_MAX_IN_FLIGHT = 64
DEFAULT_RATE_LIMIT_PER_ADDRESS = 60
DEFAULT_RATE_LIMIT_PER_SESSION = 30
DEFAULT_PORTAL_MAX_TTL_SECONDS = 300

#: Shortest token secret accepted outside demo mode: HS256 wants a key at least as long as its hash.
MIN_SECRET_BYTES = 32


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None) -> tuple[str, ...]:
    """A comma- or space-separated setting as a tuple of its non-empty items."""
    return tuple(item for item in (value or "").replace(",", " ").split() if item)


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
    #: Rasa's tracker store as a SQLAlchemy URL (TRACKER_STORE_URL): the one setting that Rasa,
    #: the scheduled purge, erasure and the safety report all use. SQLite under var/ by default.
    tracker_store_url: str = ""
    #: How often the running gateway purges conversations older than retention_days.
    purge_interval_seconds: float = DEFAULT_PURGE_INTERVAL_SECONDS
    #: Addresses (IPs or CIDR ranges) of proxies/load balancers whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    #: Served over TLS (directly or behind a TLS proxy): Secure __Host- cookie and HSTS.
    secure_cookies: bool = False
    #: Chat turns the gateway handles at once, across all users, before answering "busy".
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    #: Chat messages per minute from one client address (all its cookies together).
    rate_limit_per_address: int = DEFAULT_RATE_LIMIT_PER_ADDRESS
    #: Chat messages per minute from one chat (one session); load tests raise it.
    rate_limit_per_session: int = DEFAULT_RATE_LIMIT_PER_SESSION
    #: Who signs the one-time sign-in tokens of the council's young-person portal, and for whom.
    portal_issuer: str = "council-portal"
    portal_audience: str = "carechat-portal-signin"
    #: Longest lifetime a portal sign-in token may claim (exp - iat), in seconds.
    portal_max_ttl_seconds: int = DEFAULT_PORTAL_MAX_TTL_SECONDS
    #: Origins of council pages allowed to embed the chat widget (frame-ancestors).
    embed_origins: tuple[str, ...] = ()
    #: Where the gateway keeps web sessions and used portal sign-ins: empty for this process's
    #: memory (one gateway), or ``redis://host:port/db`` (``rediss://`` for TLS) for a Redis that
    #: several gateways share, so any of them serves any browser and a restart signs nobody out.
    session_store_url: str = ""
    #: Rasa's lock store (LOCK_STORE_URL): redis://host:port/db so that several Rasa replicas
    #: take a conversation's turns one at a time; empty = in memory (one Rasa process).
    lock_store_url: str = ""

    @property
    def tracker_db_path(self) -> Path:
        """Rasa's default SQLite tracker store (conversations), inside the runtime folder."""
        return self.var_dir / "tracker.sqlite"

    @property
    def tracker_url(self) -> str:
        """The tracker store as a SQLAlchemy URL, for Rasa, retention, erasure and the safety report."""
        return self.tracker_store_url or f"sqlite:///{self.tracker_db_path}"

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
        tracker_store_url=env.get("TRACKER_STORE_URL", "").strip() or f"sqlite:///{var_dir / 'tracker.sqlite'}",
        purge_interval_seconds=float(env.get("CARECHAT_PURGE_INTERVAL_SECONDS", DEFAULT_PURGE_INTERVAL_SECONDS)),
        trusted_proxies=_list(env.get("CARECHAT_TRUSTED_PROXIES")),
        secure_cookies=_flag(env.get("CARECHAT_SECURE_COOKIES"), default=False),
        max_in_flight=int(env.get("CARECHAT_MAX_IN_FLIGHT", DEFAULT_MAX_IN_FLIGHT)),
        rate_limit_per_address=int(env.get("CARECHAT_RATE_LIMIT_PER_ADDRESS", DEFAULT_RATE_LIMIT_PER_ADDRESS)),
        rate_limit_per_session=int(env.get("CARECHAT_RATE_LIMIT_PER_SESSION", DEFAULT_RATE_LIMIT_PER_SESSION)),
        portal_issuer=env.get("CARECHAT_PORTAL_ISSUER", "council-portal"),
        portal_audience=env.get("CARECHAT_PORTAL_AUDIENCE", "carechat-portal-signin"),
        portal_max_ttl_seconds=int(env.get("CARECHAT_PORTAL_MAX_TTL_SECONDS", DEFAULT_PORTAL_MAX_TTL_SECONDS)),
        embed_origins=_list(env.get("CARECHAT_EMBED_ORIGINS")),
        lock_store_url=env.get("LOCK_STORE_URL", "").strip(),
        session_store_url=env.get("CARECHAT_SESSION_STORE_URL", "").strip(),
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


#: The URL forms CARECHAT_SESSION_STORE_URL takes (plain and TLS Redis).
SESSION_STORE_SCHEMES = ("redis", "rediss")


def redis_url_fault(url: str) -> str | None:
    """What is wrong with a Redis URL, in a few words, or None; never repeats the URL (it may hold a password).

    One check for every Redis URL CareChat takes (the session store here, Rasa's lock store in
    :mod:`bot.ops.lock_store_config`), so both refuse the same URLs in the same words.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "its port is not a number from 1 to 65535"
    if parts.scheme.lower() not in SESSION_STORE_SCHEMES:
        return "it does not start with redis:// or rediss://"
    if not parts.hostname:
        return "it names no host"
    if port == 0:
        return "its port is not a number from 1 to 65535"
    database = parts.path.lstrip("/")
    if parts.path not in ("", "/") and not (database.isdigit() and database.isascii()):
        return "the part after the host must be a database number, such as /0"
    if parts.query or parts.fragment:
        return "it has a ?query or #fragment, which CareChat does not use"
    return None


def session_store_problem(settings: Settings) -> str | None:
    """Why CARECHAT_SESSION_STORE_URL cannot be used, as one kind line, or None (empty means memory)."""
    if not settings.session_store_url:
        return None
    fault = redis_url_fault(settings.session_store_url)
    if fault is None:
        return None
    return (f"CARECHAT_SESSION_STORE_URL is not a Redis URL CareChat can use ({fault}): set it to "
            "redis://host:6379/0 (rediss:// for TLS, redis://:password@host:6379/0 with a password), "
            "or leave it empty to keep sessions in this gateway's memory.")
