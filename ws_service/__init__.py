"""ws_service: rooms and the real-time hub.

Its paths begin with /ws/ on its own port, as behind the gateway, which keeps the prefix.
"""

import os
import signal

from gevent.threadpool import ThreadPool

from shared.background import BackgroundLoops
from shared.service import create_service_app, length_limit
from ws_service import actions
from ws_service.attachments import remove_unsent_uploads_forever
from ws_service.broker import InMemoryBroker, RedisBroker
from ws_service.committer import MessageCommitter
from ws_service.database_events import close_sockets_on_database_events
from ws_service.hub import HEARTBEAT_SECONDS, RoomHub
from ws_service.limits import TokenBuckets
from ws_service.reading import NeverStarted
from ws_service.routes import (
    CLIENT_ID_LENGTH,
    CONTENT_LENGTH,
    MAX_ATTACHMENTS,
    MULTIPART_FRAMING_BYTES,
    ROOM_NAME_LENGTH,
    UPLOAD_PATH,
)
from ws_service.routes import bp as rooms_bp
from ws_service.sockets import TYPING_INTERVAL_SECONDS
from ws_service.sockets import bp as sockets_bp
from ws_service.user_events import bp as user_events_bp


def create_app(config=None):
    app = create_service_app("ws_service", __name__, config, path_prefixes=("", "/ws"))
    config = app.config["PARLEY"]
    app.config["SOCK_SERVER_OPTIONS"] = {
        "max_message_size": config.ws_max_frame_bytes,
        # The handler reads its socket itself (ws_service/reading.py); the hub sends the heartbeat.
        "thread_class": NeverStarted,
    }

    def fetch_events(room_id, after_seq, limit):
        # The hub and the writers run outside any request.
        with app.app_context():
            return actions.fetch_events_after(room_id, after_seq, limit)

    def find_ended_sockets(sockets):
        with app.app_context():
            return actions.ended_sockets(sockets)

    def fetch_rooms(room_id, user_ids):
        with app.app_context():
            return actions.room_for_members(room_id, user_ids)

    def store_batch(sends):
        with app.app_context():
            return actions.store_batch(sends)

    def publish_stored(outcomes):
        with app.app_context():
            actions.publish_stored(outcomes)

    hub = RoomHub(
        fetch_events,
        config.ws_connections_per_user,
        find_ended_sockets,
        fetch_rooms,
        config.ws_session_sweep_seconds,
        heartbeat_seconds=min(HEARTBEAT_SECONDS, config.ws_ping_interval_seconds / 4),
    )
    broker: InMemoryBroker | RedisBroker
    if config.redis_url:
        broker = RedisBroker(hub, config.redis_url, config.presence_ttl_seconds, cluster=config.redis_cluster)
        app.extensions["parley_health_checks"]["broker"] = broker.check
    else:
        broker = InMemoryBroker(hub)
    app.extensions["parley_hub"] = hub
    app.extensions["parley_broker"] = broker
    app.extensions["parley_fetch_events"] = fetch_events
    app.extensions["parley_committer"] = committer = MessageCommitter(store_batch, publish_stored)
    app.extensions["parley_rate_limits"] = TokenBuckets(config.message_rate_per_second, config.message_burst)
    app.extensions["parley_limits"].update(
        room_name_length=length_limit(ROOM_NAME_LENGTH),
        message_length=length_limit(CONTENT_LENGTH),
        client_id_length=length_limit(CLIENT_ID_LENGTH),
        typing_interval_seconds=TYPING_INTERVAL_SECONDS,
        messages_per_second=config.message_rate_per_second,
        message_burst=config.message_burst,
        max_frame_bytes=config.ws_max_frame_bytes,
        max_attachment_bytes=config.max_attachment_bytes,
        attachments_per_message=MAX_ATTACHMENTS,
    )
    app.extensions["parley_larger_bodies"][UPLOAD_PATH] = config.max_attachment_bytes + MULTIPART_FRAMING_BYTES
    # Decoding images and making thumbnails: Pillow releases the GIL, so as many threads as cores.
    app.extensions["parley_image_threads"] = ThreadPool(os.cpu_count() or 1)
    app.register_blueprint(rooms_bp)
    app.register_blueprint(sockets_bp)
    app.register_blueprint(user_events_bp)
    loops = BackgroundLoops()
    app.extensions["parley_health_checks"]["background"] = loops.check
    hub.start(broker, loops)
    broker.start(loops)
    committer.start(loops)
    loops.spawn("removal of unsent uploads", remove_unsent_uploads_forever, app, config.attachment_cleanup_seconds)
    close_sockets_on_database_events(app.extensions["parley_database_events"], hub)
    return app


def close_sockets_on_sigterm(app):
    """On SIGTERM, close every socket with 1001 (after what is queued for it), then let the server's
    own handler stop it: clients reconnect elsewhere instead of waiting for a dead peer."""
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):
        app.extensions["parley_hub"].shut_down()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
