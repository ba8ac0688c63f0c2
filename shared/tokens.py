"""Access tokens: issuing and verifying the JWT, and the `login_required` check every service uses.

A token names the key that signed it in its `kid` header: the current JWT_SECRET signs, and the keys in
JWT_PREVIOUS_SECRETS still verify, so a secret can be rotated without logging everyone out at once.
A token is valid when its signature and expiry are good, its `jti` has not been revoked (logout) and
its user still exists (account deletion). The last two are read from the shared database on every
request, so a logout takes effect in every service at once.
"""

import functools
import hashlib
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast

import jwt
from flask import Response, current_app, g, request
from prometheus_client import Counter

from shared import db, storage
from shared.config import Config
from shared.errors import Unauthorized
from shared.origins import check_cookie_request
from shared.validation import MAX_ID, could_be_username

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


def issue_token(config: Config, user_id: int, username: str | None = None) -> tuple[str, dict[str, Any]]:
    """Return (token, claims) for a new session of `user_id`. With the `username` in it (`name`), a
    process that knows which sessions ended (ws_service) checks the token without the database."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + config.token_ttl_seconds,
    }
    if username is not None:
        claims["name"] = username
    token = jwt.encode(claims, config.jwt_secret, algorithm=ALGORITHM, headers={"kid": key_id(config.jwt_secret)})
    return token, claims


def _verifying_key(config: Config, token: str) -> str:
    kid = jwt.get_unverified_header(token).get("kid")
    keys = _verifying_keys(config.jwt_secret, config.jwt_previous_secrets)
    if not (kid is None or isinstance(kid, str)) or kid not in keys:
        raise jwt.InvalidTokenError("no key of ours has this kid")
    return keys[kid]


def decode_token(config: Config, token: str) -> dict[str, Any]:
    """The verified claims of `token`; Unauthorized if it is malformed, forged or expired."""
    try:
        claims = jwt.decode(
            token,
            _verifying_key(config, token),
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
    claims["user_id"] = int(subject)
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
    live = sessions.is_live(claims) if sessions is not None and "name" in claims else None
    TOKEN_CHECKS.labels("database" if live is None else "memory").inc()
    if live is None:
        with db.autocommit() as cursor:  # one round trip
            user = storage.find_user_of_live_token(cursor, claims["user_id"], claims["jti"])
    else:
        user = {"id": claims["user_id"], "username": claims["name"]} if live else None
    if user is None:
        raise Unauthorized("The access token has been revoked; log in again.", code="token_revoked")
    return user, claims


# Where a token's session was checked: in a process's own set of ended sessions (ws_service, with
# its listener up, for tokens that carry their username) or with a database round trip.
TOKEN_CHECKS = Counter("parley_token_checks_total", "Tokens checked for an ended session, by where", ["by"])


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
