"""The stored peer baseline: what a Python team would write instead of Parley, on the `websockets`
asyncio library with `asyncpg`: each message stored in PostgreSQL (its room's next seq and the row,
one statement, one commit) before it is broadcast to the room. No auth, no membership, no batching.

`python -m bench.peer_stored PORT DATABASE_URL`; clients connect to /rooms/{id}.
"""

import asyncio
import json
import sys

import asyncpg
from websockets.asyncio.server import broadcast, serve

SCHEMA = """
    CREATE TABLE IF NOT EXISTS peer_rooms (id text PRIMARY KEY, last_seq bigint NOT NULL);
    CREATE TABLE IF NOT EXISTS peer_messages (
        room_id text NOT NULL, seq bigint NOT NULL, content text, client_id text,
        created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (room_id, seq)
    );
"""
STORE = """
    WITH room AS (
        INSERT INTO peer_rooms (id, last_seq) VALUES ($1, 1)
        ON CONFLICT (id) DO UPDATE SET last_seq = peer_rooms.last_seq + 1
        RETURNING last_seq
    )
    INSERT INTO peer_messages (room_id, seq, content, client_id)
    SELECT $1, last_seq, $2, $3 FROM room
    RETURNING seq
"""
ROOMS = {}


async def main(port, database_url):
    pool = await asyncpg.create_pool(database_url, min_size=4, max_size=16)
    async with pool.acquire() as conn:
        await conn.execute(SCHEMA)

    async def room(websocket):
        room_id = websocket.request.path.rsplit("/", 1)[-1]
        members = ROOMS.setdefault(room_id, set())
        members.add(websocket)
        try:
            await websocket.send(json.dumps({"type": "hello", "room_id": room_id}, separators=(",", ":")))
            async for frame in websocket:
                data = json.loads(frame)
                seq = await pool.fetchval(STORE, room_id, data.get("content"), data.get("client_id"))
                event = {
                    "type": "message",
                    "room_id": room_id,
                    "seq": seq,
                    "content": data.get("content"),
                    "client_id": data.get("client_id"),
                }
                broadcast(members, json.dumps(event, separators=(",", ":")))
        finally:
            members.discard(websocket)

    async with serve(room, "127.0.0.1", port, max_queue=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
