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

from bench.peer_server import joined, message

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


async def main(port, database_url):
    pool = await asyncpg.create_pool(database_url, min_size=4, max_size=16)
    async with pool.acquire() as conn:
        await conn.execute(SCHEMA)

    async def room(websocket):
        async with joined(websocket) as (room_id, members):
            async for frame in websocket:
                sent = json.loads(frame)
                seq = await pool.fetchval(STORE, room_id, sent.get("content"), sent.get("client_id"))
                broadcast(members, message(room_id, seq, sent))

    async with serve(room, "127.0.0.1", port, max_queue=None):
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
