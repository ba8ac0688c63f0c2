"""Every setting Parley reads, taken from environment variables in this one place."""

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

MIN_PRODUCTION_SECRET_BYTES = 32
# Where development keeps the secret it made itself, inside PARLEY_DATA_DIR.
JWT_SECRET_FILE = "jwt-secret"
# bcrypt's cost: 12 takes about 250 ms of a core per hash here; tests may go lower, production may not.
MIN_PRODUCTION_BCRYPT_ROUNDS = 12
BCRYPT_ROUNDS_RANGE = range(4, 32)  # what bcrypt itself accepts
LOG_FORMATS = ("json", "text")


class UnsafeConfiguration(RuntimeError):
    """Raised at start-up when production would run with a development default."""


def _int(environ, name, default):
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise UnsafeConfiguration(f"{name} must be an integer, got {raw!r}") from None


def _float(environ, name, default):
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise UnsafeConfiguration(f"{name} must be a number, got {raw!r}") from None


def _bool(environ, name, default):
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Config:
    env: str = "development"
    database_url: str | None = None
    redis_url: str | None = None
    redis_cluster: bool = False  # REDIS_URL names a node of a Redis Cluster: sharded pub/sub
    jwt_secret: str = ""  # from_env() always sets one; an empty one is refused
    # Keys rotated out: tokens they signed stay valid until they expire, so a rotation logs no one out.
    jwt_previous_secrets: tuple = ()
    token_ttl_seconds: int = 24 * 3600
    cookie_name: str = "parley_token"
    cookie_secure: bool = False
    max_body_bytes: int = 64 * 1024
    # Proxies in front that append to X-Forwarded-For (nginx: 1). 0 trusts no such header, since a
    # client could then send any address it likes.
    trusted_proxy_hops: int = 0
    # auth_service, per window; 0 turns a limit off.
    auth_limit_window_seconds: int = 15 * 60
    login_attempts_per_address: int = 100
    login_failures_per_username_and_address: int = 10
    # Past this many failures from anywhere, only addresses the account has logged in from may try.
    login_failures_per_username: int = 50
    registrations_per_address: int = 20
    db_pool_size: int = 10
    db_acquire_timeout_seconds: float = 5.0
    bcrypt_rounds: int = MIN_PRODUCTION_BCRYPT_ROUNDS
    # bcrypt at cost 12 takes about 250 ms of one core; more threads than cores only queue.
    password_hash_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    # ws_service
    allowed_origins: tuple = ()  # besides the gateway's own origin
    # /metrics asks for it as a bearer token when set; make run serves metrics through its gateway only then.
    metrics_token: str = ""
    ws_ping_interval_seconds: float = 25.0  # under nginx's 75 s proxy_read_timeout
    ws_idle_timeout_seconds: float = 3600.0  # no frame from the client for this long closes it
    ws_outbox_frames: int = 1024
    ws_write_timeout_seconds: float = 10.0  # a socket that takes nothing for this long is cut off
    # The backstop that looks for ended sessions and memberships this often; they end at once anyway.
    ws_session_sweep_seconds: float = 5.0
    ws_max_frame_bytes: int = 32 * 1024
    ws_connections_per_user: int = 20
    message_rate_per_second: float = 5.0
    message_burst: int = 20
    room_creations_per_hour: int = 20  # per user; 0 turns the limit off
    # Attachments: the largest file (nginx's upload location allows this plus the multipart framing;
    # raise both together), uploads per user per hour (0: no limit), and how often unsent ones
    # older than a day are looked for.
    max_attachment_bytes: int = 10 * 1024 * 1024
    attachment_uploads_per_hour: int = 120
    attachment_cleanup_seconds: float = 3600.0
    presence_ttl_seconds: float = 30.0  # how long a dead process's sockets still count as online
    # make run's server (nginx does the same in front of the services).
    # An idle keep-alive; a request line and headers, a read of a body or a write of an answer this slow.
    http_client_timeout_seconds: float = 10.0
    max_connections_per_address: int = 1000  # open at once from one client address; 0: no cap
    max_connections: int = 0  # 0: as many as the descriptor limit allows, with some to spare
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = ".data"

    @property
    def production(self):
        return self.env == "production"

    @classmethod
    def from_env(cls, environ=None):
        environ = os.environ if environ is None else environ
        env = environ.get("PARLEY_ENV", "development")
        data_dir = environ.get("PARLEY_DATA_DIR") or cls.data_dir
        jwt_secret = environ.get("JWT_SECRET") or ("" if env == "production" else development_secret(data_dir))
        config = cls(
            env=env,
            database_url=environ.get("DATABASE_URL") or None,
            redis_url=environ.get("REDIS_URL") or None,
            redis_cluster=_bool(environ, "REDIS_CLUSTER", cls.redis_cluster),
            jwt_secret=jwt_secret,
            jwt_previous_secrets=tuple(s for s in environ.get("JWT_PREVIOUS_SECRETS", "").split(",") if s),
            token_ttl_seconds=_int(environ, "TOKEN_TTL_SECONDS", cls.token_ttl_seconds),
            cookie_secure=_bool(environ, "COOKIE_SECURE", env == "production"),
            max_body_bytes=_int(environ, "MAX_BODY_BYTES", cls.max_body_bytes),
            trusted_proxy_hops=_int(environ, "TRUSTED_PROXY_HOPS", cls.trusted_proxy_hops),
            auth_limit_window_seconds=_int(environ, "AUTH_LIMIT_WINDOW_SECONDS", cls.auth_limit_window_seconds),
            login_attempts_per_address=_int(environ, "LOGIN_ATTEMPTS_PER_ADDRESS", cls.login_attempts_per_address),
            login_failures_per_username_and_address=_int(
                environ, "LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS", cls.login_failures_per_username_and_address
            ),
            login_failures_per_username=_int(environ, "LOGIN_FAILURES_PER_USERNAME", cls.login_failures_per_username),
            registrations_per_address=_int(environ, "REGISTRATIONS_PER_ADDRESS", cls.registrations_per_address),
            db_pool_size=_int(environ, "DB_POOL_SIZE", cls.db_pool_size),
            bcrypt_rounds=_int(environ, "BCRYPT_ROUNDS", cls.bcrypt_rounds),
            password_hash_threads=_int(environ, "PASSWORD_HASH_THREADS", os.cpu_count() or 1),
            metrics_token=environ.get("METRICS_TOKEN") or "",
            allowed_origins=tuple(o.strip() for o in environ.get("ALLOWED_ORIGINS", "").split(",") if o.strip()),
            ws_ping_interval_seconds=_float(environ, "WS_PING_INTERVAL_SECONDS", cls.ws_ping_interval_seconds),
            ws_idle_timeout_seconds=_float(environ, "WS_IDLE_TIMEOUT_SECONDS", cls.ws_idle_timeout_seconds),
            ws_outbox_frames=_int(environ, "WS_OUTBOX_FRAMES", cls.ws_outbox_frames),
            ws_write_timeout_seconds=_float(environ, "WS_WRITE_TIMEOUT_SECONDS", cls.ws_write_timeout_seconds),
            ws_session_sweep_seconds=_float(environ, "WS_SESSION_SWEEP_SECONDS", cls.ws_session_sweep_seconds),
            ws_max_frame_bytes=_int(environ, "WS_MAX_FRAME_BYTES", cls.ws_max_frame_bytes),
            ws_connections_per_user=_int(environ, "WS_CONNECTIONS_PER_USER", cls.ws_connections_per_user),
            message_rate_per_second=_float(environ, "MESSAGE_RATE_PER_SECOND", cls.message_rate_per_second),
            message_burst=_int(environ, "MESSAGE_BURST", cls.message_burst),
            room_creations_per_hour=_int(environ, "ROOM_CREATIONS_PER_HOUR", cls.room_creations_per_hour),
            max_attachment_bytes=_int(environ, "MAX_ATTACHMENT_BYTES", cls.max_attachment_bytes),
            attachment_uploads_per_hour=_int(environ, "ATTACHMENT_UPLOADS_PER_HOUR", cls.attachment_uploads_per_hour),
            attachment_cleanup_seconds=_float(environ, "ATTACHMENT_CLEANUP_SECONDS", cls.attachment_cleanup_seconds),
            presence_ttl_seconds=_float(environ, "PRESENCE_TTL_SECONDS", cls.presence_ttl_seconds),
            http_client_timeout_seconds=_float(environ, "HTTP_CLIENT_TIMEOUT_SECONDS", cls.http_client_timeout_seconds),
            max_connections_per_address=_int(environ, "MAX_CONNECTIONS_PER_ADDRESS", cls.max_connections_per_address),
            max_connections=_int(environ, "MAX_CONNECTIONS", cls.max_connections),
            host=environ.get("HOST") or cls.host,
            port=_int(environ, "PORT", cls.port),
            data_dir=data_dir,
        )
        config.check_safe()
        return config

    def check_safe(self):
        """Refuse settings that cannot work, and production with a secret anyone can read in this file
        or guess, or with passwords hashed cheaply."""
        if self.bcrypt_rounds not in BCRYPT_ROUNDS_RANGE:
            raise UnsafeConfiguration(f"BCRYPT_ROUNDS must be from 4 to 31, got {self.bcrypt_rounds}")
        if not self.jwt_secret:
            raise UnsafeConfiguration("JWT_SECRET must be set" + (" in production" if self.production else ""))
        if not self.production:
            return
        if self.bcrypt_rounds < MIN_PRODUCTION_BCRYPT_ROUNDS:
            raise UnsafeConfiguration(f"BCRYPT_ROUNDS must be at least {MIN_PRODUCTION_BCRYPT_ROUNDS} in production")
        if len(self.jwt_secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
            raise UnsafeConfiguration(f"JWT_SECRET must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes in production")
        for previous in self.jwt_previous_secrets:
            if len(previous.encode()) < MIN_PRODUCTION_SECRET_BYTES:
                raise UnsafeConfiguration(
                    f"each of JWT_PREVIOUS_SECRETS must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes in production"
                )
        if not self.database_url:
            raise UnsafeConfiguration("DATABASE_URL must be set in production")


def development_secret(data_dir):
    """The key development signs with when JWT_SECRET is not set: made at random on the first start,
    kept in the data folder (readable by its owner only) and read on every start after, by every
    process sharing the folder. No key is written in the source, so none can be read there."""
    path = Path(data_dir) / JWT_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: a process starting at the same
        # moment (make stack starts several) reads either no file or a complete one, and one secret wins.
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".jwt-secret-") as draft:
            draft.write(secrets.token_urlsafe(48))
            draft.flush()
            os.chmod(draft.name, 0o600)
            with contextlib.suppress(FileExistsError):  # another process's is in place: it wins
                os.link(draft.name, path)
    return path.read_text().strip()


def log_format_from_env(environ=None):
    """LOG_FORMAT: `json` lines (the default, for machines) or plain `text` lines (for people). Read
    apart from Config because logging is set up first, so that a refused configuration is logged."""
    environ = os.environ if environ is None else environ
    log_format = (environ.get("LOG_FORMAT") or "json").strip().lower()
    if log_format not in LOG_FORMATS:
        raise UnsafeConfiguration(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    return log_format
