"""What auth_service does: register, log in, log out. Each is one function that owns its transaction.

Logins and registrations are counted in the shared database (so every process sees the same counts),
per client address and, for failed logins, per username and address and per username, in fixed
windows of AUTH_LIMIT_WINDOW_SECONDS.
A refused attempt costs no password hash: guessing is slowed without spending our CPU on it.
"""

import hashlib
import hmac

from auth_service import storage
from shared import db
from shared.errors import RateLimited, Unauthorized
from shared.storage import announce_sessions_ended
from shared.tokens import issue_token, sessions_ended_here
from shared.validation import could_be_username


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "The username or password is wrong."


def _count_attempt(cursor, key, limit, window_seconds, message):
    """Count one attempt under `key`; RateLimited once the window holds more than `limit` (0: no limit)."""
    if not limit:
        return
    counted = _count(cursor, key, window_seconds)
    if counted["attempts"] > limit:
        raise RateLimited(counted["seconds_left"], message)


def _count(cursor, key, window_seconds):
    counted = storage.count_attempt(cursor, key, window_seconds)
    if counted["attempts"] == 1:  # a new window: the key's earlier ones, and everyone's, are over
        storage.prune_past_attempt_windows(cursor)
    return counted


def _reached(cursor, key, limit):
    """`key`'s current window, if it holds `limit` attempts or more (0: no limit); else None."""
    so_far = storage.attempts_so_far(cursor, key) if limit else None
    return so_far if so_far and so_far["attempts"] >= limit else None


def _address_digest(config, user_id, address):
    """An address as the account's known addresses keep it: keyed, so the table holds no addresses."""
    return hmac.new(config.jwt_secret.encode(), f"{user_id}:{address}".encode(), hashlib.sha256).hexdigest()


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

    Failures are limited per username and address, so that one address guesses little and locks
    out no one else; and per username from anywhere, past which only the addresses the account has
    logged in from may try: a guess spread over many addresses cannot lock its owner out.
    `username` is what the client sent; only one that could have been registered is looked up."""
    window = config.auth_limit_window_seconds
    name = username.lower()
    failures_here, failures_anywhere = f"login-failures:{name}@{address}", f"login-failures:{name}"
    with db.autocommit() as cursor:
        _count_attempt(
            cursor,
            f"login-address:{address}",
            config.login_attempts_per_address,
            window,
            "Too many logins from your address; try again later.",
        )
        if reached := _reached(cursor, failures_here, config.login_failures_per_username_and_address):
            raise RateLimited(reached["seconds_left"], "Too many failed logins for this account from your address.")
        credentials = storage.find_credentials(cursor, username) if could_be_username(username) else None
        if reached := _reached(cursor, failures_anywhere, config.login_failures_per_username):
            known = credentials is not None and storage.is_known_address(
                cursor, credentials["id"], _address_digest(config, credentials["id"], address)
            )
            if not known:
                raise RateLimited(
                    reached["seconds_left"],
                    "This account has had too many failed logins; try again later, or from where you usually log in.",
                )
    password_hash = credentials["password_hash"] if credentials else None
    if not hasher.verify(password, password_hash):
        with db.autocommit() as cursor:
            for key, limit in (
                (failures_here, config.login_failures_per_username_and_address),
                (failures_anywhere, config.login_failures_per_username),
            ):
                if limit:
                    _count(cursor, key, window)
        raise InvalidCredentials()
    with db.autocommit() as cursor:
        storage.remember_address(cursor, credentials["id"], _address_digest(config, credentials["id"], address))
    return issue_token(config, credentials["id"], credentials)


def do_logout(claims):
    with db.transaction() as cursor:
        storage.revoke_token(cursor, claims["jti"], claims["user_id"], claims["exp"])
        announce_sessions_ended(cursor, token_id=claims["jti"])
        storage.prune_expired_revocations(cursor)
    sessions_ended_here(token_ids={claims["jti"]})
