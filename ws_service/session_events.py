"""Sessions ended elsewhere, heard at once: auth_service (logout) and user_service (account deletion)
NOTIFY PostgreSQL's parley_sessions_ended channel as they commit, and every ws_service process
LISTENs on a connection of its own and has its hub close the sockets those sessions opened. The
hub's sweep still checks every few seconds, for whatever was said while no one listened."""

import json
import logging

import gevent.socket
import psycopg2

from shared.storage import SESSIONS_ENDED_CHANNEL
from ws_service.hub import RoomHub

log = logging.getLogger(__name__)

# Between two looks at the connection when nothing is said, so that a dead link is noticed.
IDLE_CHECK_SECONDS = 30


def listen_for_ended_sessions(dsn: str, hub: RoomHub) -> None:
    """Runs for ever (under BackgroundLoops, which starts it again if the connection fails)."""
    conn = psycopg2.connect(dsn, application_name="parley-session-listener", connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f"LISTEN {SESSIONS_ENDED_CHANNEL}")
            # Whatever ended while this process was not listening (a start, a reconnect).
            hub.check_sessions()
            while True:
                try:
                    gevent.socket.wait_read(conn.fileno(), timeout=IDLE_CHECK_SECONDS)
                except TimeoutError:
                    cursor.execute("SELECT 1")  # a link that died quietly raises here
                conn.poll()
                token_ids: set[str] = set()
                user_ids: set[int] = set()
                while conn.notifies:
                    _read(conn.notifies.pop(0).payload, token_ids, user_ids)
                if token_ids or user_ids:
                    hub.end_sessions(token_ids, user_ids)
    finally:
        conn.close()


def _read(payload: str, token_ids: set[str], user_ids: set[int]) -> None:
    """Add the token or the user a notification names; log and skip anything else."""
    try:
        ended = json.loads(payload)
        if isinstance(ended.get("jti"), str):
            token_ids.add(ended["jti"])
            return
        if isinstance(ended.get("user_id"), int):
            user_ids.add(ended["user_id"])
            return
    except (ValueError, AttributeError):
        pass
    log.warning("skipped a malformed notification on %s", SESSIONS_ENDED_CHANNEL)
