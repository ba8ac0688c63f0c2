"""The peer baseline: a minimal room broadcast server on the `websockets` asyncio library, doing
Parley's live job (a frame in, a frame to everyone in the room) without auth or persistence.

`python -m bench.peer_server PORT`; clients connect to /rooms/{id}.
"""

import asyncio
import json
import sys

from websockets.asyncio.server import broadcast, serve

ROOMS = {}
SEQS = {}


async def room(websocket):
    room_id = websocket.request.path.rsplit("/", 1)[-1]
    members = ROOMS.setdefault(room_id, set())
    members.add(websocket)
    try:
        await websocket.send(json.dumps({"type": "hello", "room_id": room_id}, separators=(",", ":")))
        async for frame in websocket:
            SEQS[room_id] = seq = SEQS.get(room_id, 0) + 1
            data = json.loads(frame)
            broadcast(
                members,
                json.dumps(
                    {
                        "type": "message",
                        "room_id": room_id,
                        "seq": seq,
                        "content": data.get("content"),
                        "client_id": data.get("client_id"),
                    },
                    separators=(",", ":"),
                ),
            )
    finally:
        members.discard(websocket)


async def main(port):
    async with serve(room, "127.0.0.1", port, max_queue=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
