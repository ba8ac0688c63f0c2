"""Access tokens: issuing and verifying the JWT, and the `login_required` check every service uses.

A token names the key that signed it in its `kid` header: the current JWT_SECRET signs, and the keys in
JWT_PREVIOUS_SECRETS still verify, so a secret can be rotated without logging everyone out at once.
A token is valid when its signature and expiry are good, its `jti` has not been revoked (logout) and
its user still exists (account deletion). The last two are checked in the process's own set of ended
sessions, which its database listener keeps current (shared/database_events.py): a session ended
anywhere is refused everywhere within milliseconds, and at once in the process that ended it. While
the listener is down, and for tokens issued without the username, the database is asked instead.
"""

import functools
import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

import jwt
from flask import Response, current_app, g, request
from prometheus_client import Counter

from shared import db, storage
from shared.config import Config
from shared.errors import Unauthorized
from shared.origins import check_cookie_request
from shared.validation import MAX_ID, TIMESTAMP_TEXT, could_be_username, timestamp_text

ALGORITHM = "HS256"
SUBJECT = re.compile(r"[1-9][0-9]{0,18}")  # a user id, a positive bigint
TOKEN_ID = re.compile(r"[!-~]{1,64}")  # visible ASCII; ours are 32 hex digits
View = TypeVar("View", bound=Callable[..., Any])


@functools.cache
def key_id(secret: str) -> str:
    """A name for a key that tells nothing of it: a digest of a secret of 32 bytes or more cannot be
    turned back into the secret."""
    return hashlib.sha256(b"parley-key-id:" + secret.encode()).hexdigest()[:16]


@functools.cache
def _verifying_keys(current: str, previous: tuple[str, ...]) -> dict[str | None, str]:
    keys: dict[str | None, str] = {key_id(secret): secret for secret in (current, *previous)}
    keys[None] = current  # tokens from before kids were issued were signed with the current key
    return keys


def issue_token(config: Config, user_id: int, user: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Return (token, claims) for a new session of `user_id`. With the `user`'s username (`name`)
    and joining time (`joined`) in it, a process that knows which sessions ended checks the token
    and answers who it belongs to without the database."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + config.token_ttl_seconds,
    }
    if user is not None:
        claims["name"], claims["joined"] = user["username"], timestamp_text(user["created_at"])
    token = jwt.encode(claims, config.jwt_secret, algorithm=ALGORITHM, headers={"kid": key_id(config.jwt_secret)})
    return token, claims


def _verifying_key(token: str, current: str, previous: tuple[str, ...]) -> str:
    kid = jwt.get_unverified_header(token).get("kid")
    keys = _verifying_keys(current, previous)
    if not (kid is None or isinstance(kid, str)) or kid not in keys:
        raise jwt.InvalidTokenError("no key of ours has this kid")
    return keys[kid]


def decode_token(config: Config, token: str) -> dict[str, Any]:
    """The verified claims of `token`; Unauthorized if it is malformed, forged or expired."""
    claims = _verified_claims(token, config.jwt_secret, config.jwt_previous_secrets)
    # Checked on every use: the signature was checked once, but a token kept in the cache expires.
    if claims["exp"] <= time.time():
        raise Unauthorized("The access token has expired; log in again.", code="token_expired")
    return dict(claims)


# A client sends the same token with every request of its session: its signature is checked once,
# and the claims kept, by the token's whole text and the keys that verified it, so nothing in it can
# differ. A token refused is never kept. At ~1 KiB each, this many stay within a few MiB.
VERIFIED_TOKENS_KEPT = 4096


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified_claims(token: str, current: str, previous: tuple[str, ...]) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            _verifying_key(token, current, previous),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "jti", "iat", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired; log in again.", code="token_expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("The access token is not valid.", code="invalid_token") from None
    # Signed by us, so issued by us, unless the key leaked: still, what reaches the database and the
    # logs is what we would have issued, never a number past bigint or a control character.
    subject, token_id = claims["sub"], claims["jti"]
    if not (isinstance(subject, str) and SUBJECT.fullmatch(subject) and int(subject) <= MAX_ID):
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    if not (isinstance(token_id, str) and TOKEN_ID.fullmatch(token_id)):
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    if "name" in claims and not (isinstance(claims["name"], str) and could_be_username(claims["name"])):
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    if "joined" in claims and not (isinstance(claims["joined"], str) and TIMESTAMP_TEXT.fullmatch(claims["joined"])):
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    claims["user_id"] = int(subject)
    claims["exp"] = int(claims["exp"])
    return claims


def token_from_request(config: Config) -> str | None:
    """The bearer token of the request (header first, then the login cookie), or None."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send the token as 'Authorization: Bearer <token>'.", code="invalid_token")
        return token.strip()
    return request.cookies.get(config.cookie_name)


def authenticate(config: Config, token: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The user a token belongs to, as a dict; Unauthorized if the token is not valid now."""
    if not token:
        raise Unauthorized("A valid access token is required.", code="missing_token")
    claims = decode_token(config, token)
    sessions = current_app.extensions.get("parley_ended_sessions")
    carries_user = "name" in claims and "joined" in claims
    live = sessions.is_live(claims) if sessions is not None and carries_user else None
    TOKEN_CHECKS.labels("database" if live is None else "memory").inc()
    if live is None:
        with db.autocommit() as cursor:  # one round trip
            user = storage.find_user_of_live_token(cursor, claims["user_id"], claims["jti"])
    else:
        user = {"id": claims["user_id"], "username": claims["name"], "created_at": claims["joined"]} if live else None
    if user is None:
        raise Unauthorized("The access token has been revoked; log in again.", code="token_revoked")
    return user, claims


# Where a token's session was checked: in the process's own set of ended sessions (its listener up,
# the token carrying its username and joining time) or with a database round trip.
TOKEN_CHECKS = Counter("parley_token_checks_total", "Tokens checked for an ended session, by where", ["by"])


def sessions_ended_here(token_ids: Iterable[str] = (), user_ids: Iterable[int] = ()) -> None:
    """Refuse at once, in this process, the sessions it has just ended (once their transaction
    committed); the other processes refuse them when their listeners hear the NOTIFY."""
    current_app.extensions["parley_ended_sessions"].add(set(token_ids), set(user_ids))


def login_required(view: View) -> View:
    """Set g.user and g.token_claims from the request's token, or answer 401; refuse (403) a change
    the session cookie authenticates that none of our pages asked for."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        config = current_app.config["PARLEY"]
        g.user, g.token_claims = authenticate(config, token_from_request(config))
        check_cookie_request(config)
        return view(*args, **kwargs)

    return cast(View, wrapped)  # functools.wraps keeps the view's name and signature


def set_session_cookie(response: Response, config: Config, token: str) -> None:
    """The browser's copy of the token: HttpOnly (no script reads it), SameSite=Strict (no other
    site sends it)."""
    response.set_cookie(
        config.cookie_name,
        token,
        max_age=config.token_ttl_seconds,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=config.cookie_secure,
    )


def clear_session_cookie(response: Response, config: Config) -> None:
    response.delete_cookie(config.cookie_name, path="/", httponly=True, samesite="Strict", secure=config.cookie_secure)
