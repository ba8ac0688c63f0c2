"""A socket's writer on its own: it runs only while there is something to write, and a socket
whose writer was let go still gets every frame, in order, once. (A recording socket stands in for
the network; the real one is exercised by every other test in this folder.)"""

import json
import socket

import gevent
import pytest

from tests.ws_service.test_hub import text_of, until
from ws_service.connection import Connection
from ws_service.frames import text_frame


class RecordingSocket:
    """Takes whole writes, except that a write that may not wait (timeout 0) takes only
    `take_at_once` bytes of it (None: all; 0: would block), and that once `stalled` a write that may
    wait waits for ever, as for a peer that stopped reading."""

    def __init__(self):
        self.written = b""
        self.sends = []  # what each write took
        self.take_at_once = None
        self.stalled = False
        self.shut_down = None

    def shutdown(self, how):
        self.shut_down = how

    def send(self, data, flags=0, timeout=None):
        data = bytes(data)
        if self.stalled and timeout != 0.0:
            gevent.sleep(3600)
        if timeout == 0.0 and self.take_at_once is not None:
            if self.take_at_once == 0:
                raise BlockingIOError()
            data = data[: self.take_at_once]
        self.written += data
        self.sends.append(data)
        gevent.sleep(0)  # a real socket lets others run between writes
        return len(data)

    @property
    def frames(self):
        """What was written, split back into whole frames."""
        frames, data = [], self.written
        while data:
            length = data[1] if data[1] < 126 else int.from_bytes(data[2:4], "big")
            size = (2 if data[1] < 126 else 4) + length
            frames.append(json.loads(text_of(data[:size])))
            data = data[size:]
        return frames


class RecordingWebSocket:
    connected = True

    def __init__(self):
        self.sock = RecordingSocket()
        self.closed_with = None

    def close(self, code, reason):
        self.closed_with = code


def message(seq):
    return {"type": "message", "room_id": 1, "seq": seq}


def live_connection(write_timeout=10):
    """A connection past its hello, with nothing to write, and the recording socket under it."""
    ws = RecordingWebSocket()
    recorder = ws.sock  # the connection wraps it
    connection = Connection(
        ws,
        1,
        {"id": 1, "username": "a"},
        {"jti": "j", "exp": 2**31},
        10,
        fetch_events=lambda *args: [],
        write_timeout=write_timeout,
    )
    connection.start_writer({"type": "hello"}, 0, 0)
    until(lambda: connection._writer is None)  # a socket with nothing to write holds no writer
    return ws, recorder, connection


def test_an_idle_socket_that_takes_a_frame_gets_it_written_at_once_with_no_writer():
    _ws, recorder, connection = live_connection()
    connection.deliver(text_frame(message(1)), 1)
    assert [frame.get("seq") for frame in recorder.frames] == [None, 1]  # before anything else ran
    assert connection._writer is None


def test_a_run_of_frames_goes_to_an_idle_socket_in_one_write():
    _ws, recorder, connection = live_connection()
    frames = [text_frame(message(seq)) for seq in (1, 2, 3)]
    recorder.sends.clear()
    assert connection.deliver_run(frames, b"".join(frames), 1)
    assert recorder.sends == [b"".join(frames)]
    assert [frame.get("seq") for frame in recorder.frames] == [None, 1, 2, 3]
    connection.deliver(text_frame(message(4)), 4)  # and the cursor moved past the run
    assert [frame.get("seq") for frame in recorder.frames] == [None, 1, 2, 3, 4]


def test_a_run_a_socket_cannot_take_at_once_is_queued_frame_by_frame_and_written_in_order():
    _ws, recorder, connection = live_connection()
    recorder.take_at_once = 0
    connection.deliver(text_frame(message(1)), 1)
    frames = [text_frame(message(seq)) for seq in (2, 3)]
    assert connection.deliver_run(frames, b"".join(frames), 2)
    recorder.take_at_once = None
    until(lambda: [frame.get("seq") for frame in recorder.frames] == [None, 1, 2, 3])


def test_a_socket_that_would_wait_gets_a_writer_which_ends_once_it_has_written_everything():
    ws, recorder, connection = live_connection()
    recorder.take_at_once = 0
    connection.deliver(text_frame(message(1)), 1)
    assert connection._writer is not None, "the socket took nothing: a writer waits for it"
    until(lambda: [frame.get("seq") for frame in recorder.frames] == [None, 1])
    until(lambda: connection._writer is None)  # nothing left to write: it ends
    recorder.take_at_once = None
    connection.deliver(text_frame(message(2)), 2)  # and the next frame goes out at once again
    assert [frame.get("seq") for frame in recorder.frames] == [None, 1, 2]
    assert connection._writer is None

    connection.deliver(text_frame(message(3)), 3)
    connection.finish(1000, "done")
    connection.join(timeout=1)
    assert [frame.get("seq") for frame in recorder.frames] == [None, 1, 2, 3]
    assert ws.closed_with == 1000


def test_a_frame_written_in_part_is_finished_before_any_other_and_nothing_is_cut():
    _ws, recorder, connection = live_connection()
    recorder.take_at_once = 5
    connection.deliver(text_frame(message(1)), 1)  # 5 bytes now, the rest by a greenlet
    connection.deliver(text_frame(message(2)), 2)  # meanwhile: queued, for the writer
    connection.deliver(text_frame({"type": "typing"}), None)
    connection.finish(1000, "done")
    connection.join(timeout=1)
    assert [frame.get("seq") for frame in recorder.frames] == [None, 1, 2, None]
    assert recorder.frames[-1]["type"] == "typing"


def test_a_write_the_peer_takes_nothing_of_is_cut_off_at_its_deadline():
    ws, recorder, connection = live_connection(write_timeout=0.05)
    recorder.take_at_once = 0  # the socket's buffer is full: the writer has to wait
    recorder.stalled = True  # and the peer never reads again
    connection.deliver(text_frame(message(1)), 1)
    until(lambda: recorder.shut_down == socket.SHUT_RDWR, timeout=1)
    # The heartbeat (simple-websocket's ping) goes through the same socket: it is not held for ever either.
    with pytest.raises(OSError):
        ws.sock.send(b"\x89\x00")
