"""One WebSocket in one room: a bounded outbox drained by the connection's own writer greenlet.

The hub only ever puts frames into the outbox, without waiting; a client too slow to keep up fills
its own outbox and is closed with 1013, and its room never waits for it. The writer is the only
greenlet that sends data frames, and it sends stored events in seq order, each once: it drops what
the client already has and reads a gap from the database before going on. Frames arrive whole
(ws_service/frames.py); what has piled up in the outbox goes out in one write.

The writer runs only while the socket has frames waiting: it ends as soon as its outbox is empty,
and the next delivery writes at once if the socket takes it (most do) or starts another. An idle
socket (most of them) costs no parked greenlet, and a live one that keeps up costs no queue, switch
or timer per frame. A writer that stayed for the next frame would push every later delivery
through the queue: in the microservices layout, where nginx shares the core and a socket is not
always writable at once, that doubled the CPU of each delivery.
"""

import contextlib
import logging
import socket
import time
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gevent
import gevent.lock
import gevent.socket
from gevent.event import Event
from simple_websocket import ConnectionClosed

from ws_service import stages
from ws_service.events import FetchEvents
from ws_service.frames import EventDict, text_frame

if TYPE_CHECKING:
    from ws_service.in_flight import InFlightSends

log = logging.getLogger(__name__)

CATCH_UP_PAGE = 500
# Frames written together at most, when a client has fallen behind: fewer system calls without
# holding one socket's write for long.
WRITE_BATCH = 64
CLOSE_GRACE_SECONDS = 10
_CLOSE = object()
PING_FRAME = b"\x89\x00"  # FIN, opcode 9 (ping), no payload, unmasked: the server's heartbeat


class WriteTimedOut(OSError):
    """The peer took none of a write for the whole write deadline: it has stopped reading."""


class SerialisedSocket:
    """The socket under simple-websocket, with whole writes one at a time: the hub (a frame written
    at once), the writer, and the reader (simple-websocket's answers to pings and closes) all send,
    and a frame must never be cut into by another or sent in part.

    Every write has a deadline. A peer that stops reading would otherwise hold a write, and the
    semaphore with it, for ever: no heartbeat could go out, nor a close. Past the deadline the
    socket is cut off (no close frame: the peer reads nothing, and a frame may be half written), which
    ends its reader, and the client reconnects with after= as after a 1013."""

    def __init__(self, sock: gevent.socket.socket, write_timeout: float) -> None:
        self._sock = sock
        self._write_timeout = write_timeout
        # A semaphore, not a lock: a frame written in part is finished, and the socket let go, by
        # another greenlet than the one that began it.
        self._lock = gevent.lock.Semaphore()
        self._closer: gevent.Greenlet | None = None

    def wait_closed(self, timeout: float) -> None:
        if self._closer is not None:
            self._closer.join(timeout=timeout)

    def send(self, data: bytes) -> int:
        with self._deadline(), self._lock:
            self._write_whole(memoryview(data))
        return len(data)

    @contextlib.contextmanager
    def _deadline(self) -> Iterator[None]:
        timed_out = WriteTimedOut(f"the peer read nothing for {self._write_timeout} s")
        try:
            with gevent.Timeout(self._write_timeout, timed_out):
                yield
        except WriteTimedOut as error:
            if error is timed_out:
                log.info("cut off a socket that stopped reading: %s", error)
                self._cut_off()
            raise

    def _cut_off(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def _write_whole(self, view: memoryview) -> None:
        while view:
            view = view[self._sock.send(view) :]

    def send_if_ready(self, data: bytes) -> bool:
        """Write `data` now, if no one else is writing and the socket takes some of it without
        waiting; the rest, if any, is written by a greenlet of its own that keeps everyone else
        out until the frame is whole. False if nothing was written: the caller queues it."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            sent = self._sock.send(data, 0, timeout=0.0)
        except OSError:  # would block (BlockingIOError), or the peer is gone: the writer finds out
            self._lock.release()
            return False
        if sent < len(data):
            gevent.spawn(self._finish_holding_the_lock, memoryview(data)[sent:])
        else:
            self._lock.release()
        return True

    def _finish_holding_the_lock(self, rest: memoryview) -> None:
        try:
            with self._deadline():
                self._write_whole(rest)
        except OSError:
            pass  # the peer is gone (or cut off): the reader and the writer find out
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close without a reset, once. A socket closed with input still unread (the rest of an
        oversized frame) sends RST, and the client loses the close frame sent just before it."""
        if self._closer is None:
            self._closer = gevent.spawn(self._close_gently)

    def _close_gently(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_WR)
            with gevent.Timeout(CLOSE_GRACE_SECONDS, False):
                while self._sock.recv(65536):
                    pass
        except OSError:
            pass
        finally:
            self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class Connection:
    def __init__(
        self,
        ws: Any,  # simple_websocket.Server, which has no types
        room_id: int | None,  # None for a user event stream (ws_service/user_streams.py)
        user: dict[str, Any],
        token_claims: dict[str, Any],
        outbox_size: int,
        fetch_events: FetchEvents,
        write_timeout: float,
        ping_interval: float | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        self.ws = ws
        self.room_id = room_id
        self.user = user
        # The token the socket was opened with: the hub closes it once that expires or is revoked.
        self.token_id: str = token_claims["jti"]
        self.token_expires_at: int = token_claims["exp"]
        self.typing_announced_at = float("-inf")  # read and written by the socket's reader only
        self.sends_in_flight: InFlightSends | None = None  # the reader's, made on its first send
        # The heartbeat (see heartbeat()): when the client last sent a message, and when it is pinged next.
        self.last_heard = time.monotonic()
        self._ping_interval = ping_interval
        self._idle_timeout = idle_timeout
        self._next_ping = self.last_heard + ping_interval if ping_interval else float("inf")
        # (frame, seq, when queued), or (_CLOSE, (code, reason), None). Only ever used without
        # waiting, so a bare deque (a gevent Queue cost 2.5 KiB more per socket, most of them idle),
        # and only while something waits in it: an empty deque is 760 bytes, most sockets idle.
        self._outbox: deque[tuple[Any, Any, float | None]] | None = None
        self._outbox_size = outbox_size
        self._fetch_events = fetch_events
        self._cursor: int | None = None  # seq of the last stored event the client has; None until hello is sent
        self._writer: gevent.Greenlet | None = None  # the greenlet writing now, if any
        self._written = Event()  # set once the close is sent, or the socket failed
        self._closing = False  # once set, nothing more is queued but the close
        ws.sock = SerialisedSocket(ws.sock, write_timeout)

    # -- called by the hub and the reader; never blocks ------------------------------------------

    def deliver(self, frame: bytes, seq: int | None) -> bool:
        """Write a frame (a stored event's, with its seq, or an ephemeral one with None) at once if
        the socket is idle and takes it, else queue it for the writer. False if the outbox is full:
        the client is not keeping up."""
        if self._closing:
            return True
        if (
            self._writer is None
            and self._cursor is not None
            and (seq is None or seq == self._cursor + 1)
            and not self._outbox
            and self.ws.sock.send_if_ready(frame)
        ):
            # The common case, a live socket keeping up: no queue, no greenlet switch.
            if seq is not None:
                self._cursor = seq
            return True
        if not self._queue((frame, seq, time.perf_counter())):
            return False
        self._wake_writer()
        return True

    def deliver_run(self, frames: list[bytes], joined: bytes, first_seq: int) -> bool:
        """Stored frames of consecutive seqs from `first_seq` (`joined`: the same, as one buffer):
        one write if the socket is idle and takes it, else each as deliver() would."""
        if self._closing:
            return True
        if (
            self._writer is None
            and self._cursor is not None
            and first_seq == self._cursor + 1
            and not self._outbox
            and self.ws.sock.send_if_ready(joined)
        ):
            self._cursor = first_seq + len(frames) - 1
            return True
        return all(self.deliver(frame, first_seq + offset) for offset, frame in enumerate(frames))

    def heartbeat(self, now: float) -> None:
        """From the hub, every second or so, for every socket: one loop for the process instead of a
        timer per socket. A client silent past the idle timeout is closed (1000); one that did not
        answer the last ping is gone (1008); the others are pinged when their time comes."""
        if self._closing:
            return
        if self._idle_timeout and now - self.last_heard > self._idle_timeout:
            self.finish(1000, "Closed after a long silence")
        elif now >= self._next_ping:
            if not self.ws.pong_received:  # simple-websocket's reader marks the pong
                self.close(1008, "Ping/Pong timeout")
                return
            self.ws.pong_received = False
            assert self._ping_interval is not None, "no ping is due without an interval"
            self._next_ping = now + self._ping_interval
            if not self.deliver(PING_FRAME, None):
                self.close(1013, "Too slow to keep up: reconnect with after= to catch up")

    def send_event(self, event: EventDict) -> None:
        """A frame for this client alone (an error, the answer to a repeated send)."""
        if not self.deliver(text_frame(event), None):
            self.close(1013, "Too slow to keep up: reconnect with after= to catch up")

    def end_session(self, code: str, message: str) -> None:
        """The token expired or was revoked: say so, and close (1008)."""
        self.send_event({"type": "error", "code": code, "message": message})
        self.finish(1008, message[:100])

    def finish(self, code: int, reason: str) -> None:
        """Close after the frames already queued have been written."""
        if self._closing:
            return
        if not self._queue((_CLOSE, (code, reason), None)):
            self.close(code, reason)
            return
        self._closing = True
        self._wake_writer()
        gevent.spawn_later(CLOSE_GRACE_SECONDS, self._shut_socket)

    def close(self, code: int, reason: str) -> None:
        """Close now, dropping whatever is still queued. The writer finishes the frame it is
        writing (a frame cut in half would corrupt the stream) and then sends the close."""
        if self._closing:
            return
        self._closing = True
        self._outbox = deque([(_CLOSE, (code, reason), None)])
        self._wake_writer()
        # A peer that reads nothing never lets the close through: end the socket regardless.
        gevent.spawn_later(CLOSE_GRACE_SECONDS, self._shut_socket)

    # -- the writer ------------------------------------------------------------------------------

    def start_writer(self, hello: EventDict, after_seq: int, last_seq: int) -> None:
        """Send `hello`, then every stored event after `after_seq`, then live ones, in seq order.
        `last_seq` is the room's, read after registering: every event after it comes live.

        Hello and the backlog are written from the caller's greenlet (the socket's handler, before
        it reads anything): a greenlet of their own cost every socket memory that outlived it.
        Whatever is delivered meanwhile waits in the outbox for a writer started after."""
        cursor = after_seq
        try:
            self._send([text_frame(hello)])
            if cursor < last_seq:  # a backlog was asked for (a connect storm asks for none)
                cursor = self._catch_up(cursor, None)
        except Exception as error:
            self._fail(error)
            return
        self._cursor = cursor
        if self._outbox:
            self._writer = gevent.spawn(self._write)

    def _queue(self, item: tuple[Any, Any, float | None]) -> bool:
        """Add to the outbox; False if it is full."""
        if self._outbox is None:
            self._outbox = deque()
        elif len(self._outbox) >= self._outbox_size:
            return False
        self._outbox.append(item)
        return True

    def _wake_writer(self) -> None:
        if self._writer is None and self._cursor is not None and not self._written.is_set():
            self._writer = gevent.spawn(self._write)

    def _write(self) -> None:
        """Write what the outbox holds, in batches, and end once it is empty. Nothing between finding
        the outbox empty and ending yields, so a delivery either comes before (and is written) or
        finds no writer (and writes at once, or starts one)."""
        assert self._cursor is not None, "a writer starts once hello and the backlog are sent"
        try:
            while self._outbox:
                item = self._outbox.popleft()
                batch: list[bytes] = []
                oldest = item[2]
                while True:
                    frame, seq, _ = item
                    if frame is _CLOSE:
                        self._send(batch)
                        self._send_close(*seq)
                        self._written.set()
                        return
                    if seq is None or seq > self._cursor:  # else the client has it already, from the backlog
                        if seq is not None:
                            if seq > self._cursor + 1:
                                self._send(batch)
                                batch = []
                                self._cursor = self._catch_up(self._cursor, seq)
                            self._cursor = seq
                        batch.append(frame)
                    if len(batch) >= WRITE_BATCH:
                        break
                    if not self._outbox:
                        break
                    item = self._outbox.popleft()
                self._send(batch)
                if oldest is not None:
                    stages.WRITTEN.observe(time.perf_counter() - oldest)
        except Exception as error:
            self._fail(error)
        finally:
            self._writer = None
            if not self._outbox:
                self._outbox = None

    def _fail(self, error: Exception) -> None:
        """The client went away or the database did: end this socket only."""
        log.info("writer of room %s for user %s stopped: %r", self.room_id, self.user["id"], error)
        self._closing = True
        self._send_close(1011, "Internal error")
        self._written.set()

    def _send(self, frames: list[bytes]) -> None:
        if not frames:
            return
        if not self.ws.connected:
            raise ConnectionClosed(self.ws.close_reason, self.ws.close_message)
        self.ws.sock.send(frames[0] if len(frames) == 1 else b"".join(frames))

    def _catch_up(self, cursor: int, before_seq: int | None) -> int:
        """Send the stored events after `cursor` (up to `before_seq`, if given); return the new cursor."""
        while True:
            assert self.room_id is not None, "only a room's socket has a backlog"
            events = self._fetch_events(self.room_id, cursor, CATCH_UP_PAGE)
            frames: list[bytes] = []
            for event in events:
                if before_seq is not None and event["seq"] >= before_seq:
                    self._send(frames)
                    return cursor
                frames.append(text_frame(event))
                cursor = event["seq"]
            self._send(frames)
            if len(events) < CATCH_UP_PAGE:
                return cursor

    def _send_close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # the client is gone already, whatever simple-websocket raises
            self.ws.close(code, reason)

    def _shut_socket(self) -> None:
        with contextlib.suppress(OSError):
            self.ws.sock.shutdown(2)

    def join(self, timeout: float) -> None:
        """Wait for the close to be written (after finish())."""
        self._written.wait(timeout=timeout)

    def stop(self) -> None:
        """The reader is done: the writer goes too, and the socket is let go gently, before the
        server closes it under us."""
        self._closing = True
        if self._writer is not None:
            self._writer.kill(block=False)
            self._writer = None
        self.ws.sock.close()
        self.ws.sock.wait_closed(timeout=CLOSE_GRACE_SECONDS)
