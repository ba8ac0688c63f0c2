"""user_service's HTTP routes: parse, authorise, call an action, shape the answer."""

from flask import Blueprint, current_app, g, jsonify, request

from shared.errors import BadRequest, UserNotFound
from shared.tokens import clear_session_cookie, login_required
from shared.validation import (
    MAX_ID,
    USERNAME_CHARACTERS,
    USERNAME_LENGTH,
    choice_field,
    could_be_username,
    id_arg,
    int_arg,
    json_object,
    limit_arg,
    text_field,
)
from user_service import actions

bp = Blueprint("users", __name__)

POST_LENGTH = (1, 4000)


def _after_id():
    return int_arg("after_id", default=0, minimum=0, maximum=MAX_ID)


def _before_id():
    return int_arg("before_id", default=MAX_ID, minimum=1, maximum=MAX_ID)


@bp.get("/list")
@login_required
def list_users():
    prefix = request.args.get("q", "")
    if len(prefix) > USERNAME_LENGTH[1] or not USERNAME_CHARACTERS.fullmatch(prefix):
        raise BadRequest("'q' must be the start of a username.", code="invalid_parameter")
    return jsonify(actions.search_users(prefix, _after_id(), limit_arg()))


@bp.get("/<id:user_id>")
@login_required
def profile(user_id):
    return jsonify(actions.get_profile(user_id=user_id))


@bp.get("/by-username/<username>")
@login_required
def profile_by_username(username):
    if not could_be_username(username):
        raise UserNotFound()
    return jsonify(actions.get_profile(username=username))


@bp.get("/<id:user_id>/followers")
@login_required
def followers(user_id):
    return jsonify(actions.list_connections(user_id, "followers", _after_id(), limit_arg()))


@bp.get("/<id:user_id>/following")
@login_required
def following(user_id):
    return jsonify(actions.list_connections(user_id, "following", _after_id(), limit_arg()))


@bp.post("/follow")
@login_required
def follow():
    return jsonify(actions.do_follow(g.user["id"], id_arg("toFollowId")))


@bp.post("/unfollow")
@login_required
def unfollow():
    return jsonify(actions.do_unfollow(g.user["id"], id_arg("toUnfollowId")))


DMS_FROM = ("everyone", "following")


@bp.get("/me/settings")
@login_required
def settings():
    return jsonify(actions.get_settings(g.user["id"]))


@bp.patch("/me/settings")
@login_required
def change_settings():
    return jsonify(actions.do_change_settings(g.user["id"], choice_field(json_object(), "dms_from", DMS_FROM)))


@bp.post("/block")
@login_required
def block():
    return jsonify(actions.do_block(g.user["id"], id_arg("userId")))


@bp.post("/unblock")
@login_required
def unblock():
    return jsonify(actions.do_unblock(g.user["id"], id_arg("userId")))


@bp.delete("/delete")
@login_required
def delete_account():
    actions.do_delete_account(g.user["id"])
    config = current_app.config["PARLEY"]
    response = current_app.response_class(status=204)
    clear_session_cookie(response, config)
    return response


@bp.post("/posts")
@login_required
def create_post():
    content = text_field(json_object(), "content", min_length=POST_LENGTH[0], max_length=POST_LENGTH[1], strip=True)
    return jsonify(actions.do_create_post(g.user["id"], content)), 201


@bp.get("/<id:user_id>/posts")
@login_required
def user_posts(user_id):
    return jsonify(actions.list_posts(user_id, _before_id(), limit_arg()))


@bp.get("/feed")
@login_required
def feed():
    return jsonify(actions.read_feed(g.user["id"], _before_id(), limit_arg()))
