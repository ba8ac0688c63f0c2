"""The search scenario of issue 18: GET /ws/search's query on a million stored messages in a thousand
rooms, against the peer every chat without an index would run: a LIKE '%word%' scan, with the same
rooms allowed and the same newest-first page."""

import random
import time
import urllib.parse

import psycopg2
import psycopg2.extras

from bench import scenarios
from bench.targets import call
from ws_service import storage

VOCABULARY = 5000  # words w0000 to w4999: "w" and four digits, so "%w0042%" finds that word alone
WORDS_PER_MESSAGE = 8
# The kinds of query, each as Parley reads it and as the peer's LIKE patterns (all must be there).
QUERIES = {
    "a rare word": ("w4999", ["w4999"]),
    "a common word": ("w0000", ["w0000"]),
    "two words": ("w0000 w0500", ["w0000", "w0500"]),
    "a phrase": ('"w0000 w0001"', ["w0000 w0001"]),
}
PEER_QUERY = """
    SELECT m.id, m.room_id, r.name AS room_name, e.seq, m.user_id, u.username, m.content, m.created_at
      FROM messages m
      JOIN rooms r ON r.id = m.room_id
      JOIN room_events e ON e.message_id = m.id AND e.kind = 'message'
      LEFT JOIN users u ON u.id = m.user_id
     WHERE m.content ILIKE ALL (%(patterns)s)
       AND m.deleted_at IS NULL
       AND (NOT r.private
            OR EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = m.room_id AND rm.user_id = %(user_id)s))
     ORDER BY m.id DESC
     LIMIT 20
"""


def fill(database_url, owner_id, messages, rooms):
    """`messages` messages of 8 words each (common words far more common: a word's index is 5000 x
    random()^3) in `rooms` rooms, a tenth of them private, written by SQL as a busy server's years
    would leave them; the text index built once, after, as a restore would."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_search_idx'")
        (index_definition,) = cursor.fetchone()
        cursor.execute("DROP INDEX messages_search_idx")
        cursor.execute(
            """
            INSERT INTO rooms (name, private, owner_id)
            SELECT 'searched ' || g, g %% 10 = 0, %(owner)s FROM generate_series(1, %(rooms)s) g
            """,
            {"owner": owner_id, "rooms": rooms},
        )
        cursor.execute("SELECT min(id), max(id) FROM rooms WHERE name LIKE 'searched %%'")
        first, last = cursor.fetchone()
        cursor.execute(
            "INSERT INTO room_members (room_id, user_id) "
            "SELECT id, %(owner)s FROM rooms WHERE id BETWEEN %(a)s AND %(b)s ON CONFLICT DO NOTHING",
            {"owner": owner_id, "a": first, "b": last},
        )
        cursor.execute(
            """
            INSERT INTO messages (room_id, user_id, content)
            SELECT %(first)s + g %% %(rooms)s, %(owner)s,
                   (SELECT string_agg('w' || lpad(floor(%(vocabulary)s * power(random(), 3))::int::text, 4, '0'), ' ')
                      FROM generate_series(1, %(words)s) WHERE g > 0)
              FROM generate_series(1, %(messages)s) g
            """,
            {
                "first": first,
                "rooms": rooms,
                "owner": owner_id,
                "vocabulary": VOCABULARY,
                "words": WORDS_PER_MESSAGE,
                "messages": messages,
            },
        )
        cursor.execute(
            """
            INSERT INTO room_events (room_id, seq, kind, message_id)
            SELECT room_id, row_number() OVER (PARTITION BY room_id ORDER BY id), 'message', id
              FROM messages WHERE room_id BETWEEN %(a)s AND %(b)s
            """,
            {"a": first, "b": last},
        )
        cursor.execute(
            "UPDATE rooms r SET last_seq = counted.n FROM (SELECT room_id, count(*) AS n FROM messages "
            "WHERE room_id BETWEEN %(a)s AND %(b)s GROUP BY room_id) counted WHERE r.id = counted.room_id",
            {"a": first, "b": last},
        )
        cursor.execute(index_definition)
        cursor.execute("VACUUM ANALYZE messages")
        cursor.execute("VACUUM ANALYZE room_events")
    conn.close()


def timed(run, repeats):
    """Milliseconds each of `repeats` runs took, after one to warm the caches."""
    run()
    took = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        took.append((time.perf_counter() - started) * 1000)
    return took


def search_latency(parley, token, messages, rooms, repeats):
    """Rows: p50 and p99 of each kind of query, Parley's statement against the peer's scan, both run
    here on one connection; and Parley's whole GET /ws/search over HTTP."""
    me = call("GET", f"{parley.auth}/me", token=token)
    started = time.perf_counter()
    fill(parley.database.url, me["id"], messages, rooms)
    filled_in = time.perf_counter() - started
    conn = psycopg2.connect(parley.database.url, cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    cursor = conn.cursor()
    scenario = f"search: {messages:,} messages in {rooms:,} rooms, the newest 20 matching"
    rows = []
    over_http = []
    for kind, (query, patterns) in QUERIES.items():
        ours = timed(lambda q=query: storage.search_messages(cursor, me["id"], q, None, None, None, 20), repeats)
        like = [f"%{pattern}%" for pattern in patterns]
        theirs = timed(
            lambda p=like: cursor.execute(PEER_QUERY, {"patterns": p, "user_id": me["id"]}) or cursor.fetchall(),
            repeats,
        )
        found = len(storage.search_messages(cursor, me["id"], query, None, None, None, 20))
        for label, fraction in (("p50", 0.5), ("p99", 0.99)):
            rows.append(
                scenarios.row(
                    f"{scenario}: {kind} ({query})",
                    f"{label}, the statement (peer: LIKE scan)",
                    round(scenarios.percentile(ours, fraction), 2),
                    round(scenarios.percentile(theirs, fraction), 2),
                    "ms",
                    f"{repeats} runs; {found} found; filled in {filled_in:.0f} s",
                )
            )
        url = f"{parley.http}/ws/search?q={urllib.parse.quote(query)}"
        over_http += timed(lambda u=url: call("GET", u, token=token), repeats)
    random.shuffle(over_http)
    for label, fraction in (("p50", 0.5), ("p99", 0.99)):
        rows.append(
            scenarios.row(
                f"{scenario}: every kind above, through GET /ws/search (one ws_service process)",
                label,
                round(scenarios.percentile(over_http, fraction), 2),
                None,
                "ms",
                "HTTP, token check, the statement, highlights and JSON",
            )
        )
    conn.close()
    return rows
