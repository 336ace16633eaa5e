"""The one settings object, read from the environment in one place and cached."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_DEV_SECRET = "dev-only-insecure-secret-change-me-0123456789"
# Encrypts secrets kept in the database (a widget's identity secret, later bot tokens): refused outside dev.
_DEV_SECRET_KEY = "dev-only-insecure-encryption-key-change-me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMTP_SECURITY = {"auto", "starttls", "ssl", "none"}


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw else default


def _bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    return default if not raw else raw in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "dev"
    data_dir: Path = PROJECT_ROOT / "data"
    # Databases: the app role (NOSUPERUSER NOBYPASSRLS) and the owner that runs migrations.
    database_url: str = ""
    database_admin_url: str = ""
    db_pool_size: int = 10
    redis_url: str = ""
    # Seconds a tenant's cached copy of a hot read may live in Redis (a safety net: writers invalidate it).
    # 0 turns the read cache off: every such read goes to PostgreSQL.
    read_cache_ttl: int = 30
    chroma_url: str = ""
    # Auth
    jwt_algorithm: str = "HS256"
    jwt_secret: str = _DEV_SECRET
    jwt_private_key_file: str = ""
    jwt_public_key_file: str = ""
    access_token_ttl: int = 300
    refresh_token_ttl: int = 30 * 24 * 3600
    invitation_ttl: int = 7 * 24 * 3600
    login_limit_per_email: int = 10
    login_limit_per_ip: int = 30
    login_limit_window: int = 300
    # One-time links: confirm a sign-up, reset a password.
    signup_token_ttl: int = 24 * 3600
    reset_token_ttl: int = 3600
    # Sign-up, password-reset requests and the other password checks (accepting an invitation, setting a
    # new password), per IP and per email, in a window of `account_limit_window` seconds.
    account_limit_per_ip: int = 20
    account_limit_per_email: int = 5
    account_limit_window: int = 3600
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4
    secret_key: str = _DEV_SECRET_KEY
    member_token_ttl: int = 24 * 3600
    # Public widget endpoints, per minute: sessions and settings per client address and per widget key.
    widget_limit_per_ip: int = 30
    widget_limit_per_key: int = 600
    # HTTP
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 1
    hub_port: int = 3000
    public_api_url: str = "http://127.0.0.1:8000"
    cors_origins: tuple[str, ...] = ("http://127.0.0.1:3000",)  # the loader: "*" in dev, else the hub origin
    # Bot API / Graph API servers a workspace may name besides the official ones (a self-hosted Bot API
    # server, a test double). `http://host:*` allows any port of that host. Anything else is refused: the
    # server would otherwise call any address a creator types (SSRF).
    channel_api_bases: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    # Bearer token for /metrics and the details of /health/ready (monitoring). Unset: in dev, loopback
    # clients may read them; elsewhere nobody (admins of a workspace still see readiness details).
    ops_token: str = ""
    max_upload_bytes: int = 25 * 1024 * 1024
    # The hub's public address: links in emails point there.
    public_hub_url: str = "http://127.0.0.1:3000"
    # Email: `smtp://user:pass@host:port` (STARTTLS when offered) or `smtps://...` (TLS from the start).
    # Empty in dev: mails are captured into the dev mailbox (DATA_DIR/mail) instead of being sent.
    smtp_url: str = ""
    smtp_security: str = "auto"  # auto (STARTTLS if offered), starttls (required), ssl, none
    smtp_timeout: float = 15.0
    smtp_validate_certs: bool = True
    mail_from: str = "CoachTwin <no-reply@localhost>"
    # Parsing an upload (a child process per file): its CPU time, memory and wall clock, and the most text
    # a file may expand to. A file past any of them fails with a reason; the API never stalls on it.
    parse_cpu_seconds: int = 30
    parse_memory_mb: int = 1024
    parse_wall_seconds: float = 45.0
    parse_max_chars: int = 30_000_000
    # An ingestion job's own deadline (parse, chunk, embed, store); past it the document fails.
    ingest_timeout_seconds: int = 1800
    # AI parts
    embedding_model: str = ""
    embedding_batch_size: int = 64
    ingest_batch: int = 128  # chunks embedded and committed together: the unit of progress and of resuming
    ollama_url: str = "http://127.0.0.1:11434"
    ollama_model: str = "llama3.2"
    ollama_timeout: float = 60.0
    # Below this cosine similarity (with no word overlap) the twin says its material does not cover it.
    grounding_min_score: float = 0.30
    # An approved correction answers a question this close (MiniLM cosine) to its own: paraphrases measured
    # 0.63-0.94, different questions on the same subject up to 0.78 ("sleep earlier" vs "get up early").
    correction_min_similarity: float = 0.80
    # Jobs
    worker_in_process: bool = True
    job_queue: str = "coachtwin"
    log_level: str = "INFO"
    log_json: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_dev(self) -> bool:
        return self.env in {"dev", "test"}

    @property
    def mail_captured(self) -> bool:
        """Mails go to the dev mailbox instead of an SMTP server (dev and test only, with no SMTP_URL)."""
        return self.is_dev and not self.smtp_url

    def validate(self) -> None:
        """Refuse insecure defaults outside dev and test."""
        if self.is_dev:
            return
        if self.jwt_algorithm.startswith("HS") and self.jwt_secret in {_DEV_SECRET, ""}:
            raise RuntimeError("JWT_SECRET must be set outside dev (or use RS256 with key files)")
        if self.jwt_algorithm.startswith("RS") and not (self.jwt_private_key_file and self.jwt_public_key_file):
            raise RuntimeError("RS256 needs JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE")
        if self.secret_key in {_DEV_SECRET_KEY, ""} or len(self.secret_key) < 32:
            raise RuntimeError("SECRET_KEY must be set outside dev (32 characters or more)")
        if not self.smtp_url:
            raise RuntimeError("SMTP_URL must be set outside dev (sign-up, password reset and invitations send email)")
        if any(o in {"*", "null"} for o in self.cors_origins):
            raise RuntimeError("CORS_ORIGINS may not contain '*' or 'null' outside dev: name the allowed origins")
        if self.smtp_security not in SMTP_SECURITY:
            raise RuntimeError(f"SMTP_SECURITY must be one of {', '.join(sorted(SMTP_SECURITY))}")


def _cors_origins() -> tuple[str, ...]:
    """CORS_ORIGINS (comma separated); by default any origin in dev and test, the hub's own outside them."""
    raw = _env("CORS_ORIGINS")
    if raw:
        return tuple(o.strip() for o in raw.split(",") if o.strip())
    if _env("APP_ENV", "dev") in {"dev", "test"}:
        return ("*",)
    hub = _env("PUBLIC_HUB_URL") or f"http://127.0.0.1:{_int('HUB_PORT', 3000)}"
    parts = hub.split("/")
    return ("/".join(parts[:3]),)


def load_settings() -> Settings:
    data_dir = Path(_env("DATA_DIR") or PROJECT_ROOT / "data").resolve()
    settings = Settings(
        env=_env("APP_ENV", "dev"),
        data_dir=data_dir,
        database_url=_env("DATABASE_URL"),
        database_admin_url=_env("DATABASE_ADMIN_URL"),
        db_pool_size=_int("DB_POOL_SIZE", 10),
        redis_url=_env("REDIS_URL"),
        read_cache_ttl=_int("READ_CACHE_TTL", 30),
        chroma_url=_env("CHROMA_URL"),
        jwt_algorithm=_env("JWT_ALGORITHM", "HS256"),
        jwt_secret=_env("JWT_SECRET", _DEV_SECRET),
        jwt_private_key_file=_env("JWT_PRIVATE_KEY_FILE"),
        jwt_public_key_file=_env("JWT_PUBLIC_KEY_FILE"),
        access_token_ttl=_int("ACCESS_TOKEN_TTL", 300),
        refresh_token_ttl=_int("REFRESH_TOKEN_TTL", 30 * 24 * 3600),
        invitation_ttl=_int("INVITATION_TTL", 7 * 24 * 3600),
        login_limit_per_email=_int("LOGIN_LIMIT_PER_EMAIL", 10),
        login_limit_per_ip=_int("LOGIN_LIMIT_PER_IP", 30),
        login_limit_window=_int("LOGIN_LIMIT_WINDOW", 300),
        signup_token_ttl=_int("SIGNUP_TOKEN_TTL", 24 * 3600),
        reset_token_ttl=_int("RESET_TOKEN_TTL", 3600),
        account_limit_per_ip=_int("ACCOUNT_LIMIT_PER_IP", 20),
        account_limit_per_email=_int("ACCOUNT_LIMIT_PER_EMAIL", 5),
        account_limit_window=_int("ACCOUNT_LIMIT_WINDOW", 3600),
        argon2_time_cost=_int("ARGON2_TIME_COST", 3),
        argon2_memory_cost=_int("ARGON2_MEMORY_COST", 65536),
        argon2_parallelism=_int("ARGON2_PARALLELISM", 4),
        secret_key=_env("SECRET_KEY", _DEV_SECRET_KEY),
        member_token_ttl=_int("MEMBER_TOKEN_TTL", 24 * 3600),
        widget_limit_per_ip=_int("WIDGET_LIMIT_PER_IP", 30),
        widget_limit_per_key=_int("WIDGET_LIMIT_PER_KEY", 600),
        api_host=_env("API_HOST", "127.0.0.1"),
        api_port=_int("API_PORT", 8000),
        api_workers=_int("API_WORKERS", 1),
        hub_port=_int("HUB_PORT", 3000),
        public_api_url=_env("PUBLIC_API_URL") or f"http://127.0.0.1:{_int('API_PORT', 8000)}",
        public_hub_url=(_env("PUBLIC_HUB_URL") or f"http://127.0.0.1:{_int('HUB_PORT', 3000)}").rstrip("/"),
        smtp_url=_env("SMTP_URL"),
        smtp_security=_env("SMTP_SECURITY", "auto").lower(),
        smtp_timeout=float(_env("SMTP_TIMEOUT", "15")),
        smtp_validate_certs=_bool("SMTP_VALIDATE_CERTS", True),
        mail_from=_env("MAIL_FROM", "CoachTwin <no-reply@localhost>"),
        cors_origins=_cors_origins(),
        channel_api_bases=tuple(b.strip().rstrip("/") for b in _env("CHANNEL_API_BASES").split(",") if b.strip()),
        max_body_bytes=_int("MAX_BODY_BYTES", 1024 * 1024),
        ops_token=_env("OPS_TOKEN"),
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 25 * 1024 * 1024),
        parse_cpu_seconds=_int("PARSE_CPU_SECONDS", 30),
        parse_memory_mb=_int("PARSE_MEMORY_MB", 1024),
        parse_wall_seconds=float(_env("PARSE_WALL_SECONDS", "45")),
        parse_max_chars=_int("PARSE_MAX_CHARS", 30_000_000),
        ingest_timeout_seconds=_int("INGEST_TIMEOUT_SECONDS", 1800),
        embedding_model=_env("EMBEDDING_MODEL"),
        embedding_batch_size=_int("EMBEDDING_BATCH_SIZE", 64),
        ingest_batch=_int("INGEST_BATCH", 128),
        ollama_url=_env("OLLAMA_URL", "http://127.0.0.1:11434"),
        ollama_model=_env("OLLAMA_MODEL", "llama3.2"),
        ollama_timeout=float(_env("OLLAMA_TIMEOUT", "60")),
        grounding_min_score=float(_env("GROUNDING_MIN_SCORE", "0.30")),
        correction_min_similarity=float(_env("CORRECTION_MIN_SIMILARITY", "0.80")),
        worker_in_process=_bool("WORKER_IN_PROCESS", True),
        job_queue=_env("JOB_QUEUE", "coachtwin"),
        log_level=_env("LOG_LEVEL", "INFO"),
        log_json=_bool("LOG_JSON", True),
    )
    settings.validate()
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
