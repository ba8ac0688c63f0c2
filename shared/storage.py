"""The SQL every service runs to check who a request comes from."""

from shared.db import PreparedStatement

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
