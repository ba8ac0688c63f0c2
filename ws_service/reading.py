"""A WebSocket read in its handler's own greenlet: one greenlet per socket.

simple-websocket (under flask-sock) reads every socket in a thread of its own, a greenlet under
gevent, and hands each message to the handler through an event: two greenlets and two stacks per
socket, nearly all of them idle. Here its reader thread is never started (NeverStarted, given to
simple-websocket as its thread class) and the handler reads: `InlineReader.receive()` waits for the
socket to be readable, feeds simple-websocket's own frame handling (pings answered, fragments
joined, the size limit kept, the close handshake), and sends the heartbeat ping when it is due.
"""

import contextlib
import time
from typing import Any

import gevent.socket
from simple_websocket import ConnectionClosed
from wsproto.events import Ping
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import LocalProtocolError


class NeverStarted:
    """simple-websocket's thread_class, for a reader that never runs: the handler reads instead."""

    def __init__(self, target: Any) -> None:
        self.name = "never started"

    def start(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        pass


class InlineReader:
    def __init__(self, ws: Any) -> None:  # simple_websocket.Server, which has no types
        self._ws = ws
        self._ping_interval: float | None = ws.ping_interval
        self._next_ping = time.monotonic() + ws.ping_interval if ws.ping_interval else float("inf")

    def receive(self, timeout: float | None = None) -> str | bytes | None:
        """The next message; None once `timeout` seconds pass without one. ConnectionClosed once
        the socket is done (the peer closed it or went away, or we closed it)."""
        ws = self._ws
        deadline = time.monotonic() + timeout if timeout is not None else float("inf")
        while ws.connected and not ws.input_buffer:
            now = time.monotonic()
            if now >= deadline:
                return None
            if now >= self._next_ping:
                self._ping()
                continue
            try:
                gevent.socket.wait_read(ws.sock.fileno(), timeout=min(deadline, self._next_ping) - now)
            except TimeoutError:
                continue
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

    def _ping(self) -> None:
        """As simple-websocket's reader thread: a peer that did not answer the last ping is gone."""
        ws = self._ws
        if not ws.pong_received:
            with contextlib.suppress(OSError):
                ws.close(reason=CloseReason.POLICY_VIOLATION, message="Ping/Pong timeout")
            ws.connected = False
            return
        ws.pong_received = False
        try:
            ws.sock.send(ws.ws.send(Ping()))
        except OSError:
            ws.connected = False
        assert self._ping_interval is not None, "no ping is due without an interval"
        self._next_ping = time.monotonic() + self._ping_interval
