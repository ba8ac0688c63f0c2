"""The WebSocket: `GET /ws/joinRoom/{roomId}?after=SEQ`, its checks, and the frames a client sends.

Data flows socket -> this handler, reading in its own greenlet -> the socket's sends in flight (the
reader reads on) -> the committer (stored with the room's next seq, committed, published) -> the hub
-> each socket, at once or through its writer.
"""

import contextlib
import logging
import time

from flask import Blueprint, current_app, g, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from shared import origins
from shared.errors import ApiError, BadRequest, Forbidden
from shared.tokens import authenticate, token_from_request
from shared.validation import MAX_ID, int_arg, parse_json_object
from ws_service import actions, frames
from ws_service.connection import Connection
from ws_service.in_flight import InFlightSends
from ws_service.reactions import emoji_of
from ws_service.reading import InlineReader
from ws_service.routes import could_be_id, message_content, message_draft, read_seq

log = logging.getLogger(__name__)

# A socket's typing frames reach the room at most this often; clients send one per keystroke.
TYPING_INTERVAL_SECONDS = 2
# The hub answers a registration at once unless it is stuck; a socket does not wait on it for ever.
HUB_ANSWER_SECONDS = 10

bp = Blueprint("sockets", __name__, url_prefix="/ws")
sock = Sock()


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"
    message = "WebSockets are accepted only from Parley's own pages."


def origin_allowed(config):
    origin = request.headers.get("Origin")
    # No Origin: not a browser, and the check protects browsers' cookies.
    return origin is None or origins.allowed(config, origin)


@bp.before_request
def authorise_upgrade():
    """Runs before flask-sock's handshake, so that a refused client gets a status it can act on
    (401, 403, 404) and costs no upgrade."""
    config = current_app.config["PARLEY"]
    if not origin_allowed(config):
        raise OriginNotAllowed()
    g.user, g.token_claims = authenticate(config, token_from_request(config))
    g.after_seq = int_arg("after", minimum=0, maximum=MAX_ID)
    assert request.view_args is not None, "the route matched, so its room_id is parsed"
    actions.open_room_socket(request.view_args["room_id"], g.user["id"])


@sock.route("/joinRoom/<id:room_id>", bp=bp)
def join_room(ws, room_id):
    release_http_read_buffer(request.environ)
    config = current_app.config["PARLEY"]
    hub, broker = current_app.extensions["parley_hub"], current_app.extensions["parley_broker"]
    connection = Connection(
        ws,
        room_id,
        g.user,
        g.token_claims,
        config.ws_outbox_frames,
        current_app.extensions["parley_fetch_events"],
        config.ws_write_timeout_seconds,
        ping_interval=config.ws_ping_interval_seconds,
        idle_timeout=config.ws_idle_timeout_seconds,
    )
    # Subscribed, then registered, then the backlog read: each event lands in one of them.
    broker.follow(room_id)
    registered = hub.register(connection)
    try:
        if not accepted_by_hub(ws, registered):
            return
        # Read after registering: whatever is committed later reaches this connection live.
        last_seq = actions.current_last_seq(room_id)
        hello = {
            "type": "hello",
            "room_id": room_id,
            "user": {"id": g.user["id"], "username": g.user["username"]},
            "last_seq": last_seq,
            "clients": broker.clients(room_id),
        }
        after = last_seq if g.after_seq is None else min(g.after_seq, last_seq)
        connection.start_writer(hello, after, last_seq)
        _read_frames(InlineReader(ws), connection)
    except ConnectionClosed:
        pass  # the client closed, or went away: the end of every socket, not a failure
    except Exception as error:
        fail_after_upgrade(ws, f"socket of room {room_id}", error)
    finally:
        hub.unregister(connection)
        broker.unfollow(room_id)
        connection.stop()


def accepted_by_hub(ws, registered):
    """Whether the hub took the socket (registered: its answer); if not, its user has too many open,
    and the socket says so and closes."""
    if registered.get(timeout=HUB_ANSWER_SECONDS):
        return True
    ws.send('{"type":"error","code":"too_many_connections","message":"You have too many open sockets."}')
    ws.close(1008, "Too many connections")
    return False


def release_http_read_buffer(environ):
    """The HTTP server's read buffer for this connection (8 KiB, a fifth of an idle socket's memory)
    is not read again once the connection is a WebSocket: simple-websocket reads the socket itself.
    Closing it frees the buffer and leaves the socket open; the server then sees a closed input and
    ends the connection's HTTP life, as it does for any upgrade."""
    body = environ.get("wsgi.input")  # gevent's buffered reader, or its Input around it
    buffered = body if hasattr(body, "raw") else getattr(body, "rfile", None)
    if buffered is not None:
        buffered.close()


def fail_after_upgrade(ws, what, error):
    """Past the 101 no HTTP answer can go out (flask-sock would write one into the WebSocket's
    stream): the socket itself says what went wrong, in an error frame, and closes with 1011."""
    if isinstance(error, ApiError):
        code, message = error.code, error.message
    else:
        log.exception("%s failed", what)
        code, message = "internal_error", "Something went wrong."
    with contextlib.suppress(Exception):  # the client may be gone already
        ws.send(frames.encode({"type": "error", "code": code, "message": message}))
        ws.close(1011, message[:100])


def _read_frames(reader, connection):
    """Until the socket closes (ConnectionClosed): the hub's heartbeat closes it after a long silence."""
    while True:
        data = reader.receive()
        connection.last_heard = time.monotonic()
        _handle_frame(connection, data)


def _message_id(frame):
    value = frame.get("id")
    if not could_be_id(value):
        raise BadRequest("'id' must be a message id.", code="wrong_type")
    return value


def _on_send(connection, frame):
    draft = message_draft(frame)
    if connection.sends_in_flight is None:  # made on a socket's first send: most sockets only listen
        connection.sends_in_flight = InFlightSends(connection, _answer_failure)
    connection.sends_in_flight.send(draft)


def _on_edit(connection, frame):
    actions.do_edit_message(connection.room_id, connection.user, _message_id(frame), message_content(frame))


def _on_delete(connection, frame):
    actions.do_delete_message(connection.room_id, connection.user, _message_id(frame))


def _on_react(connection, frame):
    actions.do_react(connection.room_id, connection.user, _message_id(frame), emoji_of(frame.get("emoji")), True)


def _on_unreact(connection, frame):
    actions.do_react(connection.room_id, connection.user, _message_id(frame), emoji_of(frame.get("emoji")), False)


def _on_read(connection, frame):
    actions.do_mark_read(connection.room_id, connection.user["id"], read_seq(frame))


def _on_typing(connection, _frame):
    now = time.monotonic()
    if now - connection.typing_announced_at < TYPING_INTERVAL_SECONDS:
        return  # announced a moment ago: the others still show it
    connection.typing_announced_at = now
    actions.announce_typing(connection.room_id, connection.user)


FRAME_HANDLERS = {
    "send": _on_send,
    "edit": _on_edit,
    "delete": _on_delete,
    "react": _on_react,
    "unreact": _on_unreact,
    "read": _on_read,
    "typing": _on_typing,
}


def _handle_frame(connection, data):
    ref = None
    try:
        if isinstance(data, bytes):
            raise BadRequest("Frames are JSON text, not binary.", code="invalid_frame")
        frame = parse_json_object(data)
        ref = frame.get("client_id") if frame.get("type") == "send" else frame.get("id")
        if not isinstance(ref, (str, int)) or isinstance(ref, bool):
            ref = None
        handler = FRAME_HANDLERS.get(frame.get("type")) if isinstance(frame.get("type"), str) else None
        if handler is None:
            raise BadRequest(f"'type' must be one of {', '.join(FRAME_HANDLERS)}.", code="unknown_type")
        handler(connection, frame)
    except Exception as error:
        _answer_failure(connection, error, ref)


def _answer_failure(connection, error, ref):
    """The error frame for a frame that failed (`ref` names it: a send's client_id, else its id)."""
    if isinstance(error, ApiError):
        connection.send_event(
            {"type": "error", "code": error.code, "message": error.message, **({"ref": ref} if ref is not None else {})}
        )
        return
    log.error("frame failed in room %s", connection.room_id, exc_info=error)
    connection.send_event({"type": "error", "code": "internal_error", "message": "Something went wrong."})
    connection.finish(1011, "Internal error")
