"""A socket's writer on its own: it runs only while there is something to write, and a socket
whose writer was let go still gets every frame, in order, once. (A recording socket stands in for
the network; the real one is exercised by every other test in this folder.)"""
import json

import gevent

from ws_service.connection import Connection
from ws_service.frames import text_frame
from tests.ws_service.test_hub import text_of


class RecordingSocket:
    def __init__(self):
        self.frames = []

    def send(self, data):
        data = bytes(data)
        written = len(data)
        while data:  # split the write back into whole frames
            length = data[1] if data[1] < 126 else int.from_bytes(data[2:4], "big")
            size = (2 if data[1] < 126 else 4) + length
            self.frames.append(json.loads(text_of(data[:size])))
            data = data[size:]
        return written


class RecordingWebSocket:
    connected = True

    def __init__(self):
        self.sock = RecordingSocket()
        self.closed_with = None

    def close(self, code, reason):
        self.closed_with = code


def message(seq):
    return {"type": "message", "room_id": 1, "seq": seq}


def test_an_idle_writer_is_let_go_and_the_next_frame_starts_another():
    ws = RecordingWebSocket()
    connection = Connection(ws, 1, {"id": 1, "username": "a"}, {"jti": "j", "exp": 2**31}, 10,
                            fetch_events=lambda *args: [])
    connection.start_writer({"type": "hello"}, 0, 0)
    gevent.sleep(0.01)
    assert connection._writer is None, "a socket with nothing to write holds no writer"

    connection.deliver(text_frame(message(1)), 1)
    gevent.sleep(0.01)
    assert connection._writer is not None, "a busy socket's writer stays for the next frame"
    connection.park_if_idle()  # it wrote since the last time it was asked: it stays
    gevent.sleep(0.01)
    assert connection._writer is not None
    connection.park_if_idle()  # nothing written since: it goes
    gevent.sleep(0.01)
    assert connection._writer is None

    for seq in (2, 3):
        connection.deliver(text_frame(message(seq)), seq)
    connection.finish(1000, "done")
    connection.join(timeout=1)
    assert [frame.get("seq") for frame in ws.sock.frames] == [None, 1, 2, 3]
    assert ws.closed_with == 1000
