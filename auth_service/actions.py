"""What auth_service does: register, log in, log out. Each is one function that owns its transaction.

Logins and registrations are counted in the shared database (so every process sees the same counts),
per client address and, for failed logins, per username, in fixed windows of AUTH_LIMIT_WINDOW_SECONDS.
A refused attempt costs no password hash: guessing is slowed without spending our CPU on it.
"""

from auth_service import storage
from shared import db
from shared.errors import RateLimited, Unauthorized
from shared.tokens import issue_token
from shared.validation import could_be_username


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "The username or password is wrong."


def _count_attempt(cursor, key, limit, window_seconds, message):
    """Count one attempt under `key`; RateLimited once the window holds more than `limit` (0: no limit)."""
    if not limit:
        return
    counted = storage.count_attempt(cursor, key, window_seconds)
    if counted["attempts"] == 1:  # a new window: the key's earlier ones, and everyone's, are over
        storage.prune_past_attempt_windows(cursor)
    if counted["attempts"] > limit:
        raise RateLimited(counted["seconds_left"], message)


def do_register(config, hasher, username, password, address):
    with db.autocommit() as cursor:
        _count_attempt(
            cursor,
            f"register-address:{address}",
            config.registrations_per_address,
            config.auth_limit_window_seconds,
            "Too many registrations from your address; try again later.",
        )
    password_hash = hasher.hash(password)
    with db.transaction() as cursor:
        return storage.insert_user(cursor, username, password_hash)


def do_login(config, hasher, username, password, address):
    """A new token for the user, or InvalidCredentials: the same answer, after the same work,
    whether the name is unknown or the password wrong.

    `username` is what the client sent; only one that could have been registered is looked up."""
    failures_key = f"login-failures:{username.lower()}"
    with db.autocommit() as cursor:
        _count_attempt(
            cursor,
            f"login-address:{address}",
            config.login_attempts_per_address,
            config.auth_limit_window_seconds,
            "Too many logins from your address; try again later.",
        )
        failures = storage.attempts_so_far(cursor, failures_key) if config.login_failures_per_username else None
        if failures and failures["attempts"] >= config.login_failures_per_username:
            raise RateLimited(failures["seconds_left"], "Too many failed logins for this account; try again later.")
        credentials = storage.find_credentials(cursor, username) if could_be_username(username) else None
    password_hash = credentials["password_hash"] if credentials else None
    if not hasher.verify(password, password_hash):
        with db.autocommit() as cursor:
            _count_attempt(
                cursor,
                failures_key,
                config.login_failures_per_username,
                config.auth_limit_window_seconds,
                InvalidCredentials.message,
            )
        raise InvalidCredentials()
    return issue_token(config, credentials["id"])


def do_logout(claims):
    with db.transaction() as cursor:
        storage.revoke_token(cursor, claims["jti"], claims["user_id"], claims["exp"])
        storage.prune_expired_revocations(cursor)
