"""Settings from environment variables (12-factor). See DESIGN.md section 3."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

STORES: tuple[str, ...] = (
    "population",
    "registry",
    "services",
    "education",
    "parking",
    "environment",
    "complaints",
)
"""The seven stores. Each is a separate database with its own URL."""

DEV_JWT_SECRET = "govgraph-development-secret-change-me-in-production"  # noqa: S105 - development only
JWT_AUDIENCE = "govgraph"
JWT_ISSUER = "govgraph-dev"

Environment = Literal["development", "production"]
LogFormat = Literal["json", "text"]


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def federation_from_env(environ: dict[str, str] | None = None) -> bool:
    """GOVGRAPH_FEDERATION=1: serve the schema as an Apollo Federation 2 subgraph (chosen once per process)."""
    return _bool((os.environ if environ is None else environ).get("GOVGRAPH_FEDERATION"))


def _positive(env: dict[str, str], name: str, default: int) -> int:
    value = int(env.get(name, str(default)))
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value}")
    return value


def _public_key(env: dict[str, str]) -> str | None:
    if env.get("GOVGRAPH_JWT_PUBLIC_KEY"):
        return env["GOVGRAPH_JWT_PUBLIC_KEY"]
    path = env.get("GOVGRAPH_JWT_PUBLIC_KEY_FILE")
    return Path(path).read_text(encoding="utf-8") if path else None


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its environment."""

    data_dir: Path = Path("var")
    store_urls: dict[str, str] = field(default_factory=dict)
    redis_url: str | None = None
    redis_channel: str = "govgraph:events"
    """GOVGRAPH_REDIS_CHANNEL: the pub/sub channel of the Redis event bus (one per deployment sharing a Redis)."""
    jwt_secret: str = DEV_JWT_SECRET
    jwt_audience: str = JWT_AUDIENCE
    jwt_issuer: str = JWT_ISSUER
    jwt_public_key: str | None = None
    """GOVGRAPH_JWT_PUBLIC_KEY (PEM) or GOVGRAPH_JWT_PUBLIC_KEY_FILE: verify RS256/ES256 tokens with it."""
    jwks_url: str | None = None
    """GOVGRAPH_JWKS_URL: the identity provider's JSON Web Key Set (RS256/ES256, keys chosen by `kid`)."""
    env: Environment = "development"
    query_stats: bool = False
    store_timeout: float = 5.0
    """Seconds a store may take to answer one statement before it is reported unavailable."""
    db_pool_size: int = 5
    """GOVGRAPH_DB_POOL_SIZE: connections each PostgreSQL store keeps per process."""
    db_max_overflow: int = 10
    """GOVGRAPH_DB_MAX_OVERFLOW: extra connections a store may open under load, per process. Size
    (pool + overflow) x stores x workers below the server's max_connections."""
    ws_init_timeout: float = 10.0
    """Seconds a WebSocket client has to send connection_init (then: close 4408)."""
    ws_max_subscriptions: int = 20
    """Subscriptions one WebSocket connection may hold at once."""
    ws_max_connections_per_token: int = 5
    """WebSocket connections one token may hold at once."""
    ws_queue: int = 256
    """Events waiting for one subscriber before it is dropped as a slow consumer (close 4429)."""
    log_format: LogFormat = "text"
    """GOVGRAPH_LOG_FORMAT: one JSON object per line (production default) or text (development default)."""
    log_level: str = "info"
    """GOVGRAPH_LOG_LEVEL of govgraph's, strawberry's and uvicorn's loggers (others stay at warning)."""
    public_max_depth: int = 8
    """GOVGRAPH_PUBLIC_MAX_DEPTH: deepest field nesting a /public/graphql operation may have."""
    public_max_aliases: int = 10
    """GOVGRAPH_PUBLIC_MAX_ALIASES: aliases per /public/graphql document (fragments counted)."""
    public_max_tokens: int = 1000
    """GOVGRAPH_PUBLIC_MAX_TOKENS: lexical tokens per /public/graphql document (GraphiQL's introspection fits)."""
    public_max_page: int = 50
    """GOVGRAPH_PUBLIC_MAX_PAGE: largest `first` of a public list."""
    public_rate_limit: int = 60
    """GOVGRAPH_PUBLIC_RATE_LIMIT: requests one client may make to /public/graphql per window (the burst)."""
    public_rate_window: float = 60.0
    """GOVGRAPH_PUBLIC_RATE_WINDOW: seconds in which a client's full allowance refills."""
    compiled: bool = True
    """GOVGRAPH_COMPILED=0: every query runs on strawberry's normal path; by default a query answered once runs
    from a compiled plan afterwards (govgraph/schema/compiled.py: same answers, a fraction of the CPU)."""
    response_cache_ttl: float = 0.0
    """GOVGRAPH_RESPONSE_CACHE_TTL: seconds an answer of a repeated query may be served again (emptied at once by
    the writes to the stores it read; never for answers with audited reads; govgraph/schema/cache.py). 0: off.
    `govgraph serve` defaults to 2."""
    trust_proxy: bool = False
    """GOVGRAPH_TRUST_PROXY=1: the client is X-Forwarded-For's first address (only behind a proxy that sets it)."""
    loaders: bool = True
    """GOVGRAPH_LOADERS=0: DataLoaders stop batching (each key is its own statement). Only to measure what
    batching buys (bench/perf.py); never in production."""
    federation: bool = False
    """GOVGRAPH_FEDERATION=1: /graphql is an Apollo Federation 2 subgraph (`_service`, `_entities`, `@key`).
    The schema is built once per process, so the schema follows the process's environment, not this field."""

    def url_for(self, store: str) -> str:
        """The SQLAlchemy URL of a store: explicit, or a SQLite file under the data directory."""
        if store in self.store_urls:
            return self.store_urls[store]
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{store}.db').resolve()}"

    @property
    def embedded(self) -> bool:
        """True when every store is the embedded SQLite default."""
        return all(self.url_for(s).startswith("sqlite") for s in (*STORES, "audit"))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        urls = {s: env[f"GOVGRAPH_{s.upper()}_URL"] for s in (*STORES, "audit") if env.get(f"GOVGRAPH_{s.upper()}_URL")}
        mode = env.get("GOVGRAPH_ENV", "development")
        if mode not in ("development", "production"):
            raise ValueError(f"GOVGRAPH_ENV must be 'development' or 'production', not {mode!r}")
        secret = env.get("GOVGRAPH_JWT_SECRET") or DEV_JWT_SECRET
        asymmetric = (
            env.get("GOVGRAPH_JWKS_URL")
            or env.get("GOVGRAPH_JWT_PUBLIC_KEY")
            or env.get("GOVGRAPH_JWT_PUBLIC_KEY_FILE")
        )
        if mode == "production" and secret == DEV_JWT_SECRET and not asymmetric:
            raise ValueError(
                "In production set GOVGRAPH_JWKS_URL, GOVGRAPH_JWT_PUBLIC_KEY(_FILE) or GOVGRAPH_JWT_SECRET "
                "(the development secret is public)"
            )
        log_format = env.get("GOVGRAPH_LOG_FORMAT") or ("json" if mode == "production" else "text")
        if log_format not in ("json", "text"):
            raise ValueError(f"GOVGRAPH_LOG_FORMAT must be 'json' or 'text', not {log_format!r}")
        return cls(
            data_dir=Path(env.get("GOVGRAPH_DATA_DIR", "var")),
            store_urls=urls,
            redis_url=env.get("GOVGRAPH_REDIS_URL") or None,
            redis_channel=env.get("GOVGRAPH_REDIS_CHANNEL") or "govgraph:events",
            jwt_secret=secret,
            jwt_audience=env.get("GOVGRAPH_JWT_AUDIENCE", JWT_AUDIENCE),
            jwt_issuer=env.get("GOVGRAPH_JWT_ISSUER", JWT_ISSUER),
            jwt_public_key=_public_key(env),
            jwks_url=env.get("GOVGRAPH_JWKS_URL") or None,
            env=mode,  # type: ignore[arg-type]
            query_stats=_bool(env.get("GOVGRAPH_QUERY_STATS")),
            store_timeout=float(env.get("GOVGRAPH_STORE_TIMEOUT", "5")),
            db_pool_size=int(env.get("GOVGRAPH_DB_POOL_SIZE", "5")),
            db_max_overflow=int(env.get("GOVGRAPH_DB_MAX_OVERFLOW", "10")),
            ws_init_timeout=float(env.get("GOVGRAPH_WS_INIT_TIMEOUT", "10")),
            ws_max_subscriptions=int(env.get("GOVGRAPH_WS_MAX_SUBSCRIPTIONS", "20")),
            ws_max_connections_per_token=int(env.get("GOVGRAPH_WS_MAX_CONNECTIONS_PER_TOKEN", "5")),
            ws_queue=int(env.get("GOVGRAPH_WS_QUEUE", "256")),
            log_format=log_format,  # type: ignore[arg-type]
            log_level=env.get("GOVGRAPH_LOG_LEVEL", "info").lower(),
            public_max_depth=_positive(env, "GOVGRAPH_PUBLIC_MAX_DEPTH", 8),
            public_max_aliases=_positive(env, "GOVGRAPH_PUBLIC_MAX_ALIASES", 10),
            public_max_tokens=_positive(env, "GOVGRAPH_PUBLIC_MAX_TOKENS", 1000),
            public_max_page=_positive(env, "GOVGRAPH_PUBLIC_MAX_PAGE", 50),
            public_rate_limit=_positive(env, "GOVGRAPH_PUBLIC_RATE_LIMIT", 60),
            public_rate_window=float(env.get("GOVGRAPH_PUBLIC_RATE_WINDOW", "60")),
            compiled=_bool(env.get("GOVGRAPH_COMPILED", "1")),
            response_cache_ttl=float(env.get("GOVGRAPH_RESPONSE_CACHE_TTL", "2")),
            trust_proxy=_bool(env.get("GOVGRAPH_TRUST_PROXY")),
            loaders=_bool(env.get("GOVGRAPH_LOADERS", "1")),
            federation=federation_from_env(env),
        )
