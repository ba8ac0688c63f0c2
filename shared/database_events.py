"""What other processes say through PostgreSQL, heard at once: one LISTEN connection per process and
database, shared by every service in the process (make run mounts all three in one). Each
notification is sent as its transaction commits (shared.db.notify).

- parley_sessions_ended: auth_service (logout) and user_service (account deletion). The process's
  EndedSessions refuses those tokens from then on (shared/tokens.py), and ws_service's hub closes
  the sockets they opened.
- parley_memberships_ended: ws_service (leaving a room, deleting one); its hub closes the sockets
  that membership held, on whichever process nginx placed them, and tells the user event streams.
- parley_rooms_changed: ws_service (joining a room, adding a member, opening a DM, renaming); its
  hub tells the user event streams.

On every (re)connect the listener reads from the database what ended while no one listened."""

import json
import logging
from collections.abc import Callable
from typing import Any, TypeGuard

import gevent.socket
import psycopg2
import psycopg2.extras

from shared import storage
from shared.background import BackgroundLoops
from shared.config import Config
from shared.cooperative import is_cooperative
from shared.ended_sessions import EndedSessions
from shared.storage import LISTENED_CHANNELS, SESSIONS_ENDED_CHANNEL

log = logging.getLogger(__name__)

# Between two looks at the connection when nothing is said, so that a dead link is noticed.
IDLE_CHECK_SECONDS = 30

SessionsEnded = Callable[[set[str], set[int]], None]  # (token ids, user ids)
Notified = Callable[[dict[str, Any]], None]  # a notification's payload; ValueError if malformed


class DatabaseEvents:
    def __init__(self, dsn: str | None, token_ttl_seconds: int) -> None:
        self.sessions = EndedSessions()
        self.loops = BackgroundLoops()
        self._dsn, self._token_ttl_seconds = dsn, token_ttl_seconds
        self._on_sessions_ended: list[SessionsEnded] = []
        self._on_notify: dict[str, list[Notified]] = {channel: [] for channel in LISTENED_CHANNELS}
        self._on_connect: list[Callable[[], None]] = []
        self._started = False

    def on_sessions_ended(self, handler: SessionsEnded) -> None:
        self._on_sessions_ended.append(handler)

    def on_notify(self, channel: str, handler: Notified) -> None:
        self._on_notify[channel].append(handler)

    def on_connect(self, hook: Callable[[], None]) -> None:
        """`hook()` after each (re)connect: what was said while no one listened is unknown to it."""
        self._on_connect.append(hook)

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.loops.spawn("database listener", self._listen)

    def _listen(self) -> None:
        """Runs for ever (under BackgroundLoops, which starts it again if the connection fails)."""
        conn = psycopg2.connect(self._dsn, application_name="parley-listener", connect_timeout=5)
        try:
            conn.autocommit = True
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                cursor.execute("; ".join(f"LISTEN {channel}" for channel in LISTENED_CHANNELS))
                # Read after LISTEN, so that what ends meanwhile is heard too.
                self.sessions.load(*storage.ended_sessions_now(cursor, self._token_ttl_seconds))
                for hook in self._on_connect:
                    hook()
                while True:
                    try:
                        gevent.socket.wait_read(conn.fileno(), timeout=IDLE_CHECK_SECONDS)
                    except TimeoutError:
                        cursor.execute("SELECT 1")  # a link that died quietly raises here
                    conn.poll()
                    self._dispatch([conn.notifies.pop(0) for _ in range(len(conn.notifies))])
        finally:
            self.sessions.forget()
            conn.close()

    def _dispatch(self, notifies: list) -> None:
        token_ids: set[str] = set()
        user_ids: set[int] = set()
        for notify in notifies:
            try:
                said = json.loads(notify.payload)
                if not isinstance(said, dict):
                    raise ValueError("not an object")
                if notify.channel == SESSIONS_ENDED_CHANNEL:
                    _read_session(said, token_ids, user_ids)
                for handler in self._on_notify[notify.channel]:
                    handler(said)
            except (ValueError, AttributeError, TypeError):
                log.warning("skipped a malformed notification on %s", notify.channel)
        if token_ids or user_ids:
            self.sessions.add(token_ids, user_ids)
            for on_ended in self._on_sessions_ended:
                on_ended(token_ids, user_ids)


def _read_session(said: dict[str, Any], token_ids: set[str], user_ids: set[int]) -> None:
    """Add the token or the user a notification names."""
    if isinstance(said.get("jti"), str):
        token_ids.add(said["jti"])
    elif is_id(said.get("user_id")):
        user_ids.add(said["user_id"])
    else:
        raise ValueError("neither a token nor a user")


def is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# One per database in the process: every service app in it shares the listener and what it knows.
_BY_DATABASE: dict[tuple[str | None, int], DatabaseEvents] = {}


def for_config(config: Config) -> DatabaseEvents:
    """The process's DatabaseEvents for the database `config` names, started where it can keep up:
    elsewhere (an app built in a test's process) it never goes live, and tokens are checked with
    the database."""
    key = (config.database_url, config.token_ttl_seconds)
    if key not in _BY_DATABASE:
        _BY_DATABASE[key] = DatabaseEvents(*key)
    events = _BY_DATABASE[key]
    if is_cooperative():
        events.start()
    return events
