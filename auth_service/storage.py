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
    """id, username and password hash of the user named `username` in any case, or None."""
    cursor.execute(
        "SELECT id, username, created_at, password_hash FROM users WHERE lower(username) = lower(%(username)s)",
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


def count_attempt(cursor, key, window_seconds):
    """One more attempt for `key` in the current window: (attempts so far, seconds until the window ends)."""
    cursor.execute(
        """
        INSERT INTO attempt_counters AS counter (key, window_ends, attempts)
        VALUES (%(key)s,
                to_timestamp((floor(extract(epoch FROM now()) / %(window)s) + 1) * %(window)s),
                1)
        ON CONFLICT (key, window_ends) DO UPDATE SET attempts = counter.attempts + 1
        RETURNING attempts, extract(epoch FROM window_ends - now())::float AS seconds_left
        """,
        {"key": key, "window": window_seconds},
    )
    return cursor.fetchone()


def attempts_so_far(cursor, key):
    """(attempts, seconds until the window ends) of `key`'s current window, or None if it has none."""
    cursor.execute(
        """
        SELECT attempts, extract(epoch FROM window_ends - now())::float AS seconds_left
        FROM attempt_counters WHERE key = %(key)s AND window_ends > now()
        ORDER BY window_ends DESC LIMIT 1
        """,
        {"key": key},
    )
    return cursor.fetchone()


# An address not logged in from for this long is a stranger again.
KNOWN_ADDRESS_DAYS = 90


def is_known_address(cursor, user_id, address_digest):
    cursor.execute(
        """
        SELECT EXISTS (SELECT 1 FROM known_login_addresses
                        WHERE user_id = %(user_id)s AND address_digest = %(digest)s
                          AND last_login_at > now() - make_interval(days => %(days)s))
        """,
        {"user_id": user_id, "digest": address_digest, "days": KNOWN_ADDRESS_DAYS},
    )
    return cursor.fetchone()["exists"]


def remember_address(cursor, user_id, address_digest):
    """Record a successful login from this address, and forget the account's stale ones."""
    cursor.execute(
        """
        INSERT INTO known_login_addresses (user_id, address_digest) VALUES (%(user_id)s, %(digest)s)
        ON CONFLICT (user_id, address_digest) DO UPDATE SET last_login_at = now()
        """,
        {"user_id": user_id, "digest": address_digest},
    )
    cursor.execute(
        """
        DELETE FROM known_login_addresses
         WHERE user_id = %(user_id)s AND last_login_at <= now() - make_interval(days => %(days)s)
        """,
        {"user_id": user_id, "days": KNOWN_ADDRESS_DAYS},
    )


def prune_past_attempt_windows(cursor):
    cursor.execute("DELETE FROM attempt_counters WHERE window_ends <= now()")
