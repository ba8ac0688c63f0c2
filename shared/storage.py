"""The SQL every service runs to check who a request comes from, and to say that sessions ended."""

from shared.db import PreparedStatement, notify

# NOTIFY channel: a token revoked, or every token of an account deleted. ws_service listens, so that
# open sockets close at once in every process, whichever service ended the session.
SESSIONS_ENDED_CHANNEL = "parley_sessions_ended"

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
