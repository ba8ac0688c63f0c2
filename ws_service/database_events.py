"""What other processes say through PostgreSQL, heard at once. Each is NOTIFYed as its transaction
commits, and every ws_service process LISTENs on a connection of its own:

- parley_sessions_ended: auth_service (logout) and user_service (account deletion); the hub closes
  the sockets those sessions opened, and the process's EndedSessions refuses their tokens.
- parley_memberships_ended: ws_service itself (leaving a room, deleting one); the hub closes the
  sockets that membership held, on whichever process nginx placed them.

The hub's sweep still checks every few seconds, and once each time this listener (re)connects, for
whatever was said while no one listened."""

import json
import logging
from typing import TypeGuard

import gevent.socket
import psycopg2
import psycopg2.extras

from shared.storage import SESSIONS_ENDED_CHANNEL
from ws_service import storage
from ws_service.ended_sessions import EndedSessions
from ws_service.hub import RoomHub
from ws_service.storage import MEMBERSHIPS_ENDED_CHANNEL

log = logging.getLogger(__name__)

# Between two looks at the connection when nothing is said, so that a dead link is noticed.
IDLE_CHECK_SECONDS = 30


def listen_for_database_events(dsn: str, hub: RoomHub, sessions: EndedSessions, token_ttl_seconds: int) -> None:
    """Runs for ever (under BackgroundLoops, which starts it again if the connection fails)."""
    conn = psycopg2.connect(dsn, application_name="parley-ws-listener", connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            cursor.execute(f"LISTEN {SESSIONS_ENDED_CHANNEL}; LISTEN {MEMBERSHIPS_ENDED_CHANNEL}")
            # Whatever ended while this process was not listening (a start, a reconnect): read after
            # LISTEN, so that what ends meanwhile is heard too.
            sessions.load(*storage.ended_sessions_now(cursor, token_ttl_seconds))
            hub.check_sessions()
            while True:
                try:
                    gevent.socket.wait_read(conn.fileno(), timeout=IDLE_CHECK_SECONDS)
                except TimeoutError:
                    cursor.execute("SELECT 1")  # a link that died quietly raises here
                conn.poll()
                _dispatch([conn.notifies.pop(0) for _ in range(len(conn.notifies))], hub, sessions)
    finally:
        sessions.forget()
        conn.close()


def _dispatch(notifies: list, hub: RoomHub, sessions: EndedSessions) -> None:
    token_ids: set[str] = set()
    user_ids: set[int] = set()
    for notify in notifies:
        try:
            said = json.loads(notify.payload)
            if notify.channel == SESSIONS_ENDED_CHANNEL:
                _read_session(said, token_ids, user_ids)
            else:
                _read_membership(said, hub)
        except (ValueError, AttributeError, TypeError):
            log.warning("skipped a malformed notification on %s", notify.channel)
    if token_ids or user_ids:
        sessions.add(token_ids, user_ids)
        hub.end_sessions(token_ids, user_ids)


def _read_session(said: dict, token_ids: set[str], user_ids: set[int]) -> None:
    """Add the token or the user a notification names."""
    if isinstance(said.get("jti"), str):
        token_ids.add(said["jti"])
    elif _is_id(said.get("user_id")):
        user_ids.add(said["user_id"])
    else:
        raise ValueError("neither a token nor a user")


def _read_membership(said: dict, hub: RoomHub) -> None:
    """A member left a room (user_id), or the room was deleted (no user_id)."""
    room_id, user_id = said.get("room_id"), said.get("user_id")
    if not _is_id(room_id) or not (user_id is None or _is_id(user_id)):
        raise ValueError("no room, or not a user")
    reason = "You left the room" if user_id is not None else "The room was deleted"
    hub.close_room(room_id, 1000, reason, user_id=user_id)


def _is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
