"""ws_service's HTTP routes: rooms, members, and messages for clients without a WebSocket."""

from flask import Blueprint, g, jsonify, request

from shared.errors import BadRequest
from shared.tokens import login_required
from shared.validation import MAX_ID, could_be_username, int_arg, json_object, limit_arg, text_field
from ws_service import actions
from ws_service.reactions import emoji_of

bp = Blueprint("rooms", __name__, url_prefix="/ws")

ROOM_NAME_LENGTH = (1, 64)
CONTENT_LENGTH = (1, 4000)
CLIENT_ID_LENGTH = (1, 64)
MAX_WAIT_SECONDS = 30


def room_name(body):
    return text_field(body, "name", min_length=ROOM_NAME_LENGTH[0], max_length=ROOM_NAME_LENGTH[1], strip=True)


def message_content(body):
    return text_field(body, "content", min_length=CONTENT_LENGTH[0], max_length=CONTENT_LENGTH[1], strip=True)


def client_id(body):
    if body.get("client_id") is None:
        return None
    return text_field(body, "client_id", min_length=CLIENT_ID_LENGTH[0], max_length=CLIENT_ID_LENGTH[1])


def message_draft(body):
    """A send's fields (an HTTP body or a socket frame)."""
    reply_to = body.get("reply_to")
    if reply_to is not None and (
        isinstance(reply_to, bool) or not isinstance(reply_to, int) or not 1 <= reply_to <= MAX_ID
    ):
        raise BadRequest("'reply_to' must be a message id.", code="wrong_type")
    return actions.Draft(message_content(body), client_id(body), reply_to)


def _seq_arg(name):
    return int_arg(name, minimum=0, maximum=MAX_ID)


@bp.post("/createRoom")
@login_required
def create_room():
    body = json_object()
    private = body.get("private", False)
    if not isinstance(private, bool):
        raise BadRequest("'private' must be true or false.", code="wrong_type")
    return jsonify(actions.do_create_room(g.user["id"], room_name(body), private))


@bp.get("/getRooms")
@login_required
def get_rooms():
    after_id = int_arg("after_id", default=0, minimum=0, maximum=MAX_ID)
    return jsonify(actions.list_rooms(g.user["id"], after_id, limit_arg(default=100, maximum=500)))


@bp.post("/dm/<id:user_id>")
@login_required
def open_direct_room(user_id):
    return jsonify(actions.do_open_direct_room(g.user, user_id))


@bp.post("/rooms/<id:room_id>/read")
@login_required
def mark_read(room_id):
    actions.do_mark_read(room_id, g.user["id"], read_seq(json_object()))
    return "", 204


def read_seq(body):
    """The `seq` of a read mark (an HTTP body or a frame): an integer from 0."""
    seq = body.get("seq")
    if seq is None:
        raise BadRequest("'seq' is required.", code="missing_field")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_ID:
        raise BadRequest("'seq' must be a seq: an integer from 0.", code="wrong_type")
    return seq


@bp.get("/mentions")
@login_required
def mentions():
    after_id = int_arg("after_id", default=0, minimum=0, maximum=MAX_ID)
    return jsonify(actions.list_mentions(g.user["id"], after_id, limit_arg(default=50, maximum=100)))


SEARCH_LENGTH = (1, 256)


@bp.get("/search")
@login_required
def search():
    query = text_field(request.args, "q", min_length=SEARCH_LENGTH[0], max_length=SEARCH_LENGTH[1], strip=True)
    author = request.args.get("from")
    if author is not None and not could_be_username(author):
        raise BadRequest("'from' must be a username.", code="invalid_parameter")
    room_id = int_arg("room_id", minimum=1, maximum=MAX_ID)
    before_id = int_arg("before_id", minimum=1, maximum=MAX_ID)
    limit = limit_arg(default=20, maximum=100)
    return jsonify(actions.search_messages(g.user["id"], query, room_id, author, before_id, limit))


@bp.get("/getClients/<id:room_id>")
@login_required
def get_clients(room_id):
    return jsonify({"clients": actions.list_clients(room_id, g.user["id"])})


@bp.post("/rooms/<id:room_id>/members")
@login_required
def add_member(room_id):
    body = json_object() if _has_body() else {}
    if "user_id" in body and body["user_id"] != g.user["id"]:
        new_member = body["user_id"]
        if isinstance(new_member, bool) or not isinstance(new_member, int) or not 1 <= new_member <= MAX_ID:
            raise BadRequest("'user_id' must be a user's id.", code="wrong_type")
        return jsonify(actions.do_add_member(room_id, g.user["id"], new_member))
    return jsonify(actions.do_join_room(room_id, g.user["id"]))


def _has_body():
    return bool(request.get_data(cache=True).strip())


@bp.delete("/rooms/<id:room_id>/members/me")
@login_required
def leave_room(room_id):
    actions.do_leave_room(room_id, g.user["id"])
    return "", 204


@bp.patch("/rooms/<id:room_id>")
@login_required
def rename_room(room_id):
    return jsonify(actions.do_rename_room(room_id, g.user["id"], room_name(json_object())))


@bp.delete("/rooms/<id:room_id>")
@login_required
def delete_room(room_id):
    actions.do_delete_room(room_id, g.user["id"])
    return "", 204


@bp.route("/rooms/<id:room_id>/messages/<id:message_id>/reactions/<emoji>", methods=["PUT", "DELETE"])
@login_required
def react(room_id, message_id, emoji):
    adding = request.method == "PUT"
    actions.do_react(room_id, g.user, message_id, emoji_of(emoji), adding)
    if not adding:
        return "", 204
    return jsonify({"room_id": room_id, "id": message_id, "emoji": emoji})


@bp.get("/rooms/<id:room_id>/messages")
@login_required
def read_messages(room_id):
    after, before = _seq_arg("after"), _seq_arg("before")
    limit = limit_arg(default=100, maximum=500)
    wait = int_arg("wait", default=0, minimum=0, maximum=MAX_WAIT_SECONDS)
    if wait and before is not None:
        raise BadRequest("'wait' goes with 'after', not with 'before'.", code="invalid_parameter")
    if wait:
        return jsonify(actions.wait_for_events(room_id, g.user["id"], after, limit, wait))
    return jsonify(actions.read_events(room_id, g.user["id"], after, before, limit))


@bp.post("/rooms/<id:room_id>/messages")
@login_required
def send_message(room_id):
    event, created = actions.do_send_message(room_id, g.user, message_draft(json_object()))
    return jsonify(event), (201 if created else 200)


@bp.get("/rooms/<id:room_id>/messages/<id:message_id>/replies")
@login_required
def read_replies(room_id, message_id):
    after_id = int_arg("after_id", default=0, minimum=0, maximum=MAX_ID)
    limit = limit_arg(default=100, maximum=500)
    return jsonify(actions.list_replies(room_id, g.user["id"], message_id, after_id, limit))
