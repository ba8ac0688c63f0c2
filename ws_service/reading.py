"""A WebSocket read in its handler's own greenlet: one greenlet per socket, and no timer.

simple-websocket (under flask-sock) reads every socket in a thread of its own, a greenlet under
gevent, with a timer for its heartbeat, and hands each message to the handler through an event: two
greenlets and two stacks per socket, nearly all of them idle. Here its reader thread is never
started (NeverStarted, given to simple-websocket as its thread class) and the handler reads:
`InlineReader.receive()` waits on the socket's own watcher and feeds simple-websocket's frame
handling (pings answered, pongs marked, fragments joined, the size limit kept, the close
handshake). The heartbeat is the hub's: one loop for the process (Connection.heartbeat).
"""

from collections.abc import Iterator
from typing import Any

from simple_websocket import ConnectionClosed
from wsproto.utilities import LocalProtocolError


class NeverStarted:
    """simple-websocket's thread_class, for a reader that never runs: the handler reads instead."""

    def __init__(self, target: Any) -> None:
        self.name = "never started"

    def start(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        pass


class _HandshakeDone:
    """All wsproto asks of its handshake once the connection is up: its events, of which none are
    left. The HTTP request it parsed, its h11 state and its queues (~3 KiB) go with the real one."""

    @staticmethod
    def events() -> Iterator[Any]:
        return iter(())


class InlineReader:
    def __init__(self, ws: Any) -> None:  # simple_websocket.Server, which has no types
        self._ws = ws
        if ws.ws.connection is not None and not ws.ws.handshake._events:
            ws.ws.handshake = _HandshakeDone
        # Reads wait as long as it takes (the hub's heartbeat ends a silent socket); a server's read
        # timeout left on the socket (gunicorn's keep-alive) would end every quiet one.
        ws.sock.settimeout(None)

    def receive(self) -> str | bytes:
        """The next message. ConnectionClosed once the socket is done (the peer closed it or went
        away, or we closed it)."""
        ws = self._ws
        while ws.connected and not ws.input_buffer:
            try:
                data = ws.sock.recv(ws.receive_bytes)
                if not data:
                    raise ConnectionResetError("the peer closed the connection")
                ws.ws.receive_data(data)
                ws.connected = ws._handle_events()
            except (OSError, LocalProtocolError):
                ws.connected = False
        if ws.input_buffer:
            message: str | bytes = ws.input_buffer.pop(0)
            return message
        ws.sock.close()  # gently, once: what the reader thread did as it ended
        raise ConnectionClosed(ws.close_reason, ws.close_message)
