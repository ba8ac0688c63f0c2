"""The SQL every service runs to check who a request comes from, to say that sessions ended, and to
learn which have; and the NOTIFY channels every process listens on (shared/database_events.py)."""

from shared.db import PreparedStatement, notify

# NOTIFY channel: a token revoked, or every token of an account deleted. Every process listens, so
# that its token checks and its open sockets know at once, whichever service ended the session.
SESSIONS_ENDED_CHANNEL = "parley_sessions_ended"
# NOTIFY channel: a member left a room, or a room was deleted (ws_service's sockets close).
MEMBERSHIPS_ENDED_CHANNEL = "parley_memberships_ended"
# NOTIFY channel: someone joined or was added to a room, or it was renamed (ws_service's user
# event streams tell their users).
ROOMS_CHANGED_CHANNEL = "parley_rooms_changed"
LISTENED_CHANNELS = (SESSIONS_ENDED_CHANNEL, MEMBERSHIPS_ENDED_CHANNEL, ROOMS_CHANGED_CHANNEL)

# On every request and every socket's connect.
USER_OF_LIVE_TOKEN = PreparedStatement(
    "user_of_live_token",
    """
    SELECT u.id, u.username, u.created_at
      FROM users u
     WHERE u.id = %(user_id)s
       AND NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = %(jti)s)
    """,
    {"user_id": "bigint", "jti": "text"},
)


def find_user_of_live_token(cursor, user_id, jti):
    """The user `user_id` if it exists and token `jti` is not revoked, else None."""
    USER_OF_LIVE_TOKEN.execute(cursor, {"user_id": user_id, "jti": jti})
    return cursor.fetchone()


def announce_sessions_ended(cursor, *, token_id=None, user_id=None):
    """Tell the listeners, once the transaction commits (NOTIFY waits for it), that the token
    `token_id`, or every token of `user_id`, no longer opens anything."""
    notify(cursor, SESSIONS_ENDED_CHANNEL, {"jti": token_id} if token_id is not None else {"user_id": user_id})


def ended_sessions_now(cursor, token_ttl_seconds):
    """The token ids revoked and the user ids of accounts deleted whose tokens could still be live."""
    cursor.execute("SELECT jti FROM revoked_tokens WHERE expires_at > now()")
    revoked = {row["jti"] for row in cursor.fetchall()}
    cursor.execute(
        "SELECT user_id FROM deleted_accounts WHERE deleted_at > now() - make_interval(secs => %(ttl)s)",
        {"ttl": token_ttl_seconds},
    )
    return revoked, {row["user_id"] for row in cursor.fetchall()}
