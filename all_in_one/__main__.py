"""`python -m all_in_one` (what `make run` starts): migrations, then every service and the web client
on one port, in one gevent server."""

from shared.cooperative import make_cooperative

make_cooperative()

import dataclasses
import io
import logging
import signal

import gevent
import gevent.event
import gevent.pool
from gevent.pywsgi import WSGIHandler

from all_in_one.connections import GuardedWSGIServer, connection_ceiling, envelope_response
from all_in_one.embedded_postgres import start_embedded_postgres
from all_in_one.gateway import create_app
from db.migrate import apply_migrations
from shared import logs
from shared.config import Config
from shared.errors import RequestTimeout

log = logging.getLogger("all_in_one")

SHUTDOWN_GRACE_SECONDS = 5


# What gevent answers itself, before any app sees the request, in the contract's envelope instead
# of an empty body (as nginx's error_page does in the microservices deployment).
REFUSALS = {
    "400": envelope_response("400 Bad Request", "bad_request", "The request could not be read as HTTP."),
    "414": envelope_response("414 Request URI Too Long", "uri_too_long", "The request line is longer than 8 KiB."),
}


# What a header block may hold: lines and size (gevent's own limit per line is 64 KiB).
MAX_HEADER_LINES = 100
MAX_HEADER_LINE_BYTES = 8192


class UnreadableRequest(ValueError):
    """gevent answers a ValueError from reading a request with 400 (made the envelope below), and
    serves nothing."""


class EnvelopeErrorsHandler(WSGIHandler):
    """gevent's handler, stricter about what counts as a request: a header block must end with its
    blank line (a connection closed half-way through its headers is not a request), and conflicting
    Content-Length headers are refused rather than one of them believed."""

    def MessageClass(self, rfile, *args):
        lines = []
        while True:
            line = rfile.readline(MAX_HEADER_LINE_BYTES + 1)
            if line in (b"\r\n", b"\n"):
                break
            if not line.endswith(b"\n"):
                raise UnreadableRequest("the headers ended before their blank line, or a line is too long")
            lines.append(line)
            if len(lines) > MAX_HEADER_LINES:
                raise UnreadableRequest("too many header lines")
        headers = super().MessageClass(io.BytesIO(b"".join(lines) + b"\r\n"), *args)
        if len(set(headers.get_all("Content-Length") or ())) > 1:
            raise UnreadableRequest("conflicting Content-Length headers")
        return headers

    def _handle_client_error(self, ex):
        # Headers that stop arriving (the client timeout) or a connection reset while they do: close,
        # as nginx does, without the traceback gevent prints for anything but a ValueError.
        if isinstance(ex, OSError):
            return None
        return super()._handle_client_error(ex)

    def get_environ(self):
        environ = super().get_environ()
        if not _is_upgrade(environ):  # simple-websocket finds the socket through gevent's own input
            environ["wsgi.input"] = BodyWithDeadline(environ["wsgi.input"])
        return environ

    def handle_one_response(self):
        # A WebSocket lives for hours, silent between heartbeats; any other request keeps the client
        # timeout for each read of its body and each write of its answer.
        if _is_upgrade(self.environ):
            self.socket.settimeout(None)
        return super().handle_one_response()

    def handle_one_request(self):
        # An idle keep-alive connection, or one slow to send its request line and headers, is
        # closed after the client timeout.
        self.socket.settimeout(self.server.client_timeout)
        result = super().handle_one_request()
        if isinstance(result, tuple) and result[0] in REFUSALS:
            return result[0], REFUSALS[result[0]]
        return result


def _is_upgrade(environ):
    return environ.get("HTTP_UPGRADE", "").lower() == "websocket"


class BodyWithDeadline:
    """The request body, where a read that waits past the client timeout is a 408 in the envelope
    (through the service's error handlers) instead of an error with a traceback."""

    def __init__(self, body):
        self._body = body

    def read(self, *args):
        return self._wait_for(self._body.read, *args)

    def readline(self, *args):
        return self._wait_for(self._body.readline, *args)

    def readlines(self, *args):
        return self._wait_for(self._body.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")

    @staticmethod
    def _wait_for(read, *args):
        try:
            return read(*args)
        except TimeoutError:
            raise RequestTimeout() from None


def public_url(config):
    """Where a browser on this machine finds the server."""
    host = "localhost" if config.host in ("127.0.0.1", "0.0.0.0", "::", "") else config.host
    return f"http://{host}:{config.port}"


def main():
    logs.configure("all_in_one")
    config = Config.from_env()
    embedded = None  # held until main() returns: the embedded PostgreSQL stops with it
    if not config.database_url:
        embedded, url = start_embedded_postgres(config.data_dir)
        config = dataclasses.replace(config, database_url=url)
    apply_migrations(config.database_url)

    gateway, ws_app = create_app(config)
    # A pool, not bare greenlets, so that stop() waits for the requests and sockets in flight.
    # No access log of gevent's: each service logs its requests as JSON (shared/logs.py).
    server = GuardedWSGIServer(
        (config.host, config.port),
        gateway,
        spawn=gevent.pool.Pool(),
        handler_class=EnvelopeErrorsHandler,
        log=None,
        error_log=logging.getLogger("all_in_one.server"),
        max_connections=connection_ceiling(config.max_connections, config.db_pool_size),
        max_per_address=config.max_connections_per_address,
        client_timeout=config.http_client_timeout_seconds,
    )

    stopped = gevent.event.Event()

    def shut_down():
        # Sockets first, with 1001 after what is queued for them; then the server waits for the
        # requests in flight, the long-polls among them.
        ws_app.extensions["parley_hub"].shut_down()
        server.stop(SHUTDOWN_GRACE_SECONDS)
        stopped.set()

    # Signal handlers run in the event loop, which must not wait: the shutdown gets a greenlet.
    gevent.signal_handler(signal.SIGTERM, gevent.spawn, shut_down)
    server.start()
    # One plain line for the person who typed `make run`, among the JSON lines on stderr.
    print(f"Parley is running at {public_url(config)}", flush=True)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        shut_down()
    if embedded is not None:
        log.info("stopping the embedded PostgreSQL")


if __name__ == "__main__":
    main()
