"""auth_service's HTTP routes: parse the body, call an action, shape the answer."""

from flask import Blueprint, current_app, g, jsonify, request

from auth_service import actions
from shared.errors import BadRequest
from shared.tokens import clear_session_cookie, login_required, set_session_cookie
from shared.validation import USERNAME_CHARACTERS, USERNAME_LENGTH, json_object, text_field

bp = Blueprint("auth", __name__)

PASSWORD_LENGTH = (8, 128)


def _config():
    return current_app.config["PARLEY"]


def _hasher():
    return current_app.extensions["parley_passwords"]


def _new_username(body):
    username = text_field(body, "username", min_length=USERNAME_LENGTH[0], max_length=USERNAME_LENGTH[1])
    if not USERNAME_CHARACTERS.fullmatch(username):
        raise BadRequest("A username may hold only letters A-Z, digits, '_', '.' and '-'.", code="invalid_username")
    return username


@bp.post("/register")
def register():
    body = json_object()
    username = _new_username(body)
    password = text_field(body, "password", min_length=PASSWORD_LENGTH[0], max_length=PASSWORD_LENGTH[1])
    user = actions.do_register(_config(), _hasher(), username, password, request.remote_addr)
    return jsonify(user), 201


@bp.post("/login")
def login():
    body = json_object()
    # Names and passwords that could never have been registered are simply wrong: same work, same 401.
    username = text_field(body, "username", min_length=1, max_length=256)
    password = text_field(body, "password", min_length=1, max_length=1024)
    config = _config()
    token, _claims = actions.do_login(config, _hasher(), username, password, request.remote_addr)
    response = jsonify({"access_token": token, "token_type": "bearer", "expires_in": config.token_ttl_seconds})
    set_session_cookie(response, config, token)
    return response


@bp.post("/logout")
@login_required
def logout():
    actions.do_logout(g.token_claims)
    config = _config()
    response = jsonify({"status": "logged_out"})
    response.status_code = 202
    clear_session_cookie(response, config)
    return response


@bp.get("/me")
@login_required
def me():
    return jsonify(g.user)
