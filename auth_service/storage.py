"""auth_service's SQL: accounts and revoked tokens."""
import psycopg2.errors

from shared.errors import Conflict


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "This username is taken."


def insert_user(cursor, username, password_hash):
    try:
        cursor.execute(
            """
            INSERT INTO users (username, password_hash)
            VALUES (%(username)s, %(password_hash)s)
            RETURNING id, username, created_at
            """,
            {"username": username, "password_hash": password_hash},
        )
    except psycopg2.errors.UniqueViolation:
        raise UsernameTaken() from None
    return cursor.fetchone()


def find_credentials(cursor, username):
    """id and password hash of the user named `username` in any case, or None."""
    cursor.execute(
        "SELECT id, password_hash FROM users WHERE lower(username) = lower(%(username)s)",
        {"username": username},
    )
    return cursor.fetchone()


def revoke_token(cursor, jti, user_id, expires_at):
    cursor.execute(
        """
        INSERT INTO revoked_tokens (jti, user_id, expires_at)
        VALUES (%(jti)s, %(user_id)s, to_timestamp(%(expires_at)s))
        ON CONFLICT (jti) DO NOTHING
        """,
        {"jti": jti, "user_id": user_id, "expires_at": expires_at},
    )


def prune_expired_revocations(cursor):
    cursor.execute("DELETE FROM revoked_tokens WHERE expires_at < now()")
