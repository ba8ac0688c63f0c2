"""The user's own event stream: `GET /ws/events`, a WebSocket telling one browser tab what its room
list needs (ws_service/user_streams.py). It takes no frames: there is nothing to send on it."""

from flask import Blueprint, current_app, g, request
from simple_websocket import ConnectionClosed

from shared.tokens import authenticate, token_from_request
from ws_service import actions
from ws_service.reading import InlineReader
from ws_service.sockets import (
    HUB_ANSWER_SECONDS,
    OriginNotAllowed,
    accepted_by_hub,
    fail_after_upgrade,
    origin_allowed,
    release_http_read_buffer,
    sock,
)
from ws_service.user_streams import UserStream

bp = Blueprint("user_events", __name__, url_prefix="/ws")


@bp.before_request
def authorise_upgrade():
    """As for a room's socket: refused before the upgrade, with a status the client can act on."""
    config = current_app.config["PARLEY"]
    if not origin_allowed(config):
        raise OriginNotAllowed()
    g.user, g.token_claims = authenticate(config, token_from_request(config))


@sock.route("/events", bp=bp)
def user_events(ws):
    release_http_read_buffer(request.environ)
    config = current_app.config["PARLEY"]
    hub, broker = current_app.extensions["parley_hub"], current_app.extensions["parley_broker"]
    stream = UserStream(
        ws,
        g.user,
        g.token_claims,
        outbox_size=config.ws_outbox_frames,
        write_timeout=config.ws_write_timeout_seconds,
        ping_interval=config.ws_ping_interval_seconds,
        idle_timeout=config.ws_idle_timeout_seconds,
    )
    # Registered, then the rooms read: a room joined or left meanwhile is heard by the hub and
    # applied once the rooms are in.
    registered = hub.register_stream(stream)
    try:
        if not accepted_by_hub(ws, registered):
            return
        followed = hub.stream_rooms(stream, actions.rooms_of_member(g.user["id"])).get(timeout=HUB_ANSWER_SECONDS)
        broker.wait_following(followed)
        stream.start_writer({"type": "hello", "user": {"id": g.user["id"], "username": g.user["username"]}}, 0, 0)
        reader = InlineReader(ws)
        while True:
            reader.receive()
            stream.send_event(
                {"type": "error", "code": "unknown_type", "message": "This socket only speaks; it takes no frames."}
            )
    except ConnectionClosed:
        pass
    except Exception as error:
        fail_after_upgrade(ws, f"event stream of user {g.user['id']}", error)
    finally:
        hub.unregister_stream(stream)
        stream.stop()
