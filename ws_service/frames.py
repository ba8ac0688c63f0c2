"""Events as they go on the wire: JSON text, and whole WebSocket frames built once per event.

A room's event goes to every socket in the room as the same bytes, so the frame is built once by
the hub and written as is, rather than framed (and compressed) again for each receiver. A server's
frames are unmasked, and RFC 7692 lets a sender leave any message uncompressed (RSV1 clear) even
where permessage-deflate was negotiated: chat messages are small, and compressing each copy was
the largest cost of a fan-out.
"""

import datetime
import json
import struct
from typing import Any

# A room event as the hub and the sockets carry it: JSON-ready, with a datetime or two.
EventDict = dict[str, Any]

_TEXT_FINAL = 0x81  # FIN + opcode 1 (text)


def encode(event: EventDict) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: datetime.datetime) -> str:  # the only type events hold that JSON lacks
    return value.isoformat().replace("+00:00", "Z")


def text_frame(event: EventDict) -> bytes:
    """The whole, unmasked, uncompressed text frame carrying `event` as JSON."""
    payload = encode(event).encode()
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", _TEXT_FINAL, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", _TEXT_FINAL, 126, length)
    else:
        header = struct.pack("!BBQ", _TEXT_FINAL, 127, length)
    return header + payload
