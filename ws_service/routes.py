"""ws_service's HTTP routes: rooms, members, and messages for clients without a WebSocket."""

import re
import urllib.parse

from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context

from shared.errors import BadRequest, UnsupportedMediaType
from shared.tokens import login_required
from shared.validation import MAX_ID, could_be_username, int_arg, json_object, limit_arg, text_field
from ws_service import actions, attachments
from ws_service.file_kinds import INLINE_IMAGE_TYPES
from ws_service.images import THUMBNAIL_TYPE
from ws_service.reactions import emoji_of

bp = Blueprint("rooms", __name__, url_prefix="/ws")

ROOM_NAME_LENGTH = (1, 64)
CONTENT_LENGTH = (1, 4000)
CLIENT_ID_LENGTH = (1, 64)
MAX_ATTACHMENTS = 10  # files one message carries
MAX_WAIT_SECONDS = 30


def room_name(body):
    return text_field(body, "name", min_length=ROOM_NAME_LENGTH[0], max_length=ROOM_NAME_LENGTH[1], strip=True)


def message_content(body, may_be_empty=False):
    if may_be_empty and body.get("content") is None:
        return ""
    min_length = 0 if may_be_empty else CONTENT_LENGTH[0]
    return text_field(body, "content", min_length=min_length, max_length=CONTENT_LENGTH[1], strip=True)


def client_id(body):
    if body.get("client_id") is None:
        return None
    return text_field(body, "client_id", min_length=CLIENT_ID_LENGTH[0], max_length=CLIENT_ID_LENGTH[1])


def message_draft(body):
    """A send's fields (an HTTP body or a socket frame); with files, the text may be empty."""
    reply_to = body.get("reply_to")
    if reply_to is not None and not could_be_id(reply_to):
        raise BadRequest("'reply_to' must be a message id.", code="wrong_type")
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list) or not all(could_be_id(item) for item in attachments):
        raise BadRequest("'attachments' must be a list of uploads' ids.", code="wrong_type")
    if len(attachments) > MAX_ATTACHMENTS or len(set(attachments)) != len(attachments):
        raise BadRequest(f"'attachments' names up to {MAX_ATTACHMENTS} different uploads.", code="invalid_parameter")
    content = message_content(body, may_be_empty=bool(attachments))
    return actions.Draft(content, client_id(body), reply_to, tuple(attachments))


def could_be_id(value):
    """Whether a JSON value (a body's or a frame's) is a row's id: an integer from 1, not a boolean."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


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
        if not could_be_id(new_member):
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


# An upload's body is its file and the multipart framing around it, which this allows for.
MULTIPART_FRAMING_BYTES = 64 * 1024
UPLOAD_PATH = re.compile(r"/ws/rooms/[0-9]+/attachments")


@bp.post("/rooms/<id:room_id>/attachments")
@login_required
def upload_attachment(room_id):
    attachments.check_upload(room_id, g.user["id"])  # before reading a body that may be refused anyway
    request.max_content_length = current_app.config["PARLEY"].max_attachment_bytes + MULTIPART_FRAMING_BYTES
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the file as multipart/form-data, in a part named 'file'.")
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("The file goes in a multipart part named 'file'.", code="missing_field")
    name = attachments.file_name(upload.filename)
    return jsonify(attachments.do_upload(room_id, g.user["id"], name, upload.stream)), 201


@bp.get("/rooms/<id:room_id>/attachments/<id:attachment_id>")
@login_required
def attachment(room_id, attachment_id):
    """The file, to the room's members. Only images that decoded are shown in the page (inline);
    anything else, SVG and HTML included, is a download, whatever it was called."""
    found = attachments.find_attachment(room_id, g.user["id"], attachment_id)
    thumbnail = request.args.get("thumb") == "1"
    etag = f"{found['id']}-thumb" if thumbnail else str(found["id"])  # a file's bytes never change
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif thumbnail:
        response = Response(attachments.thumbnail_of(found["id"]), content_type=THUMBNAIL_TYPE)
    else:
        content_type = found["content_type"] + ("; charset=utf-8" if found["content_type"].startswith("text/") else "")
        chunks = attachments.attachment_bytes(found["id"], found["size"])
        response = Response(stream_with_context(chunks), content_type=content_type)
        response.content_length = found["size"]
    shown = thumbnail or (found["content_type"] in INLINE_IMAGE_TYPES and found["width"] is not None)
    response.headers["Content-Disposition"] = _disposition("inline" if shown else "attachment", found["name"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Asked again each time (its access is checked again: a deleted message's files are gone), but
    # not sent again: the browser keeps what it has.
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(etag)
    return response


def _disposition(kind, name):
    """A Content-Disposition naming the file in any script (RFC 6266), with a plain fallback."""
    fallback = "".join(char if " " <= char < "\x7f" and char not in '"\\' else "_" for char in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name, safe='')}"
