"""How many connections `make run`'s server holds, from whom, and how long one may take to say what
it wants: a refusal in the envelope instead of a lockout. The microservices deployment has nginx in
front for the same (limit_conn and its timeouts, nginx/parley.conf.template)."""

import collections
import contextlib
import json
import logging
import resource

from gevent.pywsgi import WSGIServer

log = logging.getLogger(__name__)

# Descriptors kept back from connections: the database pool's, Redis's, log files, the event loop's.
RESERVED_DESCRIPTORS = 128


def envelope_response(status, code, message, retry_after=None):
    """A whole HTTP response with the contract's error envelope, for the server to write itself."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    retry = f"Retry-After: {retry_after}\r\n" if retry_after else ""
    return (
        f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: application/json\r\n{retry}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


SERVER_FULL = envelope_response(
    "503 Service Unavailable", "server_full", "The server holds all the connections it can.", retry_after=5
)
TOO_MANY_FROM_YOU = envelope_response(
    "429 Too Many Requests", "too_many_connections", "Your address holds too many connections to this server.", 5
)


def connection_ceiling(configured, pool_size):
    """Raise this process's descriptor limit as far as it may go, and return how many connections it
    can hold with descriptors to spare (`configured`, if set, at most that), so that accept() never
    runs out of them: at the limit gevent logs a traceback for every refused accept."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    room = max(1, soft - RESERVED_DESCRIPTORS - 2 * pool_size) if soft != resource.RLIM_INFINITY else 1_000_000
    return min(configured, room) if configured else room


class GuardedWSGIServer(WSGIServer):
    """A WSGIServer that answers a connection past `max_connections`, or past `max_per_address` from
    one client address, with a refusal and a close, and keeps serving everyone else."""

    def __init__(self, *args, max_connections, max_per_address, client_timeout, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections
        self.max_per_address = max_per_address
        self.client_timeout = client_timeout  # read by the handler (EnvelopeErrorsHandler)
        self._open = 0
        self._per_address = collections.Counter()

    def handle(self, sock, address):
        client = address[0] if isinstance(address, tuple) else address
        if self._open >= self.max_connections:
            refusal = SERVER_FULL
        elif self.max_per_address and self._per_address[client] >= self.max_per_address:
            refusal = TOO_MANY_FROM_YOU
        else:
            refusal = None
        if refusal is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(1)
                sock.sendall(refusal)
            sock.close()
            return
        self._open += 1
        self._per_address[client] += 1
        try:
            super().handle(sock, address)
        finally:
            self._open -= 1
            self._per_address[client] -= 1
            if not self._per_address[client]:
                del self._per_address[client]
