"""auth_service's HTTP routes: parse the body, call an action, shape the answer."""
import re

from flask import Blueprint, current_app, g, jsonify

from shared.errors import BadRequest
from shared.tokens import login_required
from shared.validation import json_object, text_field

from auth_service import actions

bp = Blueprint("auth", __name__)

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
USERNAME_LENGTH = (3, 32)
PASSWORD_LENGTH = (8, 128)


def _config():
    return current_app.config["PARLEY"]


def _hasher():
    return current_app.extensions["parley_passwords"]


def _new_username(body):
    username = text_field(body, "username", min_length=USERNAME_LENGTH[0], max_length=USERNAME_LENGTH[1])
    if not USERNAME_PATTERN.fullmatch(username):
        raise BadRequest("A username may hold only letters A-Z, digits, '_', '.' and '-'.",
                         code="invalid_username")
    return username


@bp.post("/register")
def register():
    body = json_object()
    username = _new_username(body)
    password = text_field(body, "password", min_length=PASSWORD_LENGTH[0], max_length=PASSWORD_LENGTH[1])
    user = actions.do_register(_hasher(), username, password)
    return jsonify(user), 201


@bp.post("/login")
def login():
    body = json_object()
    # Names and passwords that could never have been registered are simply wrong: same work, same 401.
    username = text_field(body, "username", min_length=1, max_length=256)
    password = text_field(body, "password", min_length=1, max_length=1024)
    could_exist = USERNAME_PATTERN.fullmatch(username) and len(username) <= USERNAME_LENGTH[1]
    config = _config()
    token, _claims = actions.do_login(config, _hasher(), username if could_exist else None, password)
    response = jsonify(
        {"access_token": token, "token_type": "bearer", "expires_in": config.token_ttl_seconds}
    )
    response.set_cookie(
        config.cookie_name, token, max_age=config.token_ttl_seconds, path="/",
        httponly=True, samesite="Strict", secure=config.cookie_secure,
    )
    return response


@bp.post("/logout")
@login_required
def logout():
    actions.do_logout(g.token_claims)
    config = _config()
    response = jsonify({"status": "logged_out"})
    response.status_code = 202
    response.delete_cookie(config.cookie_name, path="/", httponly=True, samesite="Strict",
                           secure=config.cookie_secure)
    return response


@bp.get("/me")
@login_required
def me():
    return jsonify(g.user)
