"""Access tokens: issuing and verifying the JWT, and the `login_required` check every service uses.

A token is valid when its signature and expiry are good, its `jti` has not been revoked (logout) and
its user still exists (account deletion). The last two are read from the shared database on every
request, so a logout takes effect in every service at once.
"""
import functools
import time
import uuid

import jwt
from flask import current_app, g, request

from shared import db, storage
from shared.errors import Unauthorized

ALGORITHM = "HS256"


def issue_token(config, user_id):
    """Return (token, claims) for a new session of `user_id`."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + config.token_ttl_seconds,
    }
    return jwt.encode(claims, config.jwt_secret, algorithm=ALGORITHM), claims


def decode_token(config, token):
    """The verified claims of `token`; Unauthorized if it is malformed, forged or expired."""
    try:
        claims = jwt.decode(
            token,
            config.jwt_secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "jti", "iat", "exp"]},
        )
        claims["user_id"] = int(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired; log in again.", code="token_expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("The access token is not valid.", code="invalid_token") from None
    if not isinstance(claims["jti"], str):
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    return claims


def token_from_request(config):
    """The bearer token of the request (header first, then the login cookie), or None."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send the token as 'Authorization: Bearer <token>'.", code="invalid_token")
        return token.strip()
    return request.cookies.get(config.cookie_name)


def authenticate(config, token):
    """The user a token belongs to, as a dict; Unauthorized if the token is not valid now."""
    if not token:
        raise Unauthorized("A valid access token is required.", code="missing_token")
    claims = decode_token(config, token)
    with db.autocommit() as cursor:  # on every request: one round trip
        user = storage.find_user_of_live_token(cursor, claims["user_id"], claims["jti"])
    if user is None:
        raise Unauthorized("The access token has been revoked; log in again.", code="token_revoked")
    return user, claims


def login_required(view):
    """Set g.user and g.token_claims from the request's token, or answer 401."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        config = current_app.config["PARLEY"]
        g.user, g.token_claims = authenticate(config, token_from_request(config))
        return view(*args, **kwargs)

    return wrapped


def set_session_cookie(response, config, token):
    """The browser's copy of the token: HttpOnly (no script reads it), SameSite=Strict (no other
    site sends it)."""
    response.set_cookie(config.cookie_name, token, max_age=config.token_ttl_seconds, path="/",
                        httponly=True, samesite="Strict", secure=config.cookie_secure)


def clear_session_cookie(response, config):
    response.delete_cookie(config.cookie_name, path="/", httponly=True, samesite="Strict",
                           secure=config.cookie_secure)
