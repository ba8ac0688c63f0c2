"""ws_service's SQL: rooms, memberships, messages and each room's event log."""

from dataclasses import dataclass

import psycopg2.errors

from shared.db import PreparedStatement, notify
from shared.errors import Conflict, UserNotFound
from shared.storage import MEMBERSHIPS_ENDED_CHANNEL, ROOMS_CHANGED_CHANNEL
from ws_service.reactions import MAX_EMOJI_PER_MESSAGE

# getRooms counts a room's unread messages up to this; a client shows "999+" past it.
UNREAD_CAP = 1000
ROOM_COLUMNS = "r.id, r.name, r.private, r.owner_id, r.created_at, r.last_seq, r.kind"


class RoomNameTaken(Conflict):
    code = "room_name_taken"
    message = "A room with this name exists."


def insert_room(cursor, name, private, owner_id):
    try:
        cursor.execute(
            """
            INSERT INTO rooms (name, private, owner_id) VALUES (%(name)s, %(private)s, %(owner_id)s)
            RETURNING id, name, private, owner_id, created_at, last_seq, kind
            """,
            {"name": name, "private": private, "owner_id": owner_id},
        )
    except psycopg2.errors.UniqueViolation:
        raise RoomNameTaken() from None
    room = cursor.fetchone()
    insert_member(cursor, room["id"], owner_id)
    return room


def rename_room(cursor, room_id, name):
    """Rename the room, and tell its members' event streams once the transaction commits."""
    notify(cursor, ROOMS_CHANGED_CHANNEL, {"room_id": room_id, "change": "updated"})
    try:
        cursor.execute(
            "UPDATE rooms SET name = %(name)s WHERE id = %(room_id)s "
            "RETURNING id, name, private, owner_id, created_at, last_seq, kind",
            {"room_id": room_id, "name": name},
        )
    except psycopg2.errors.UniqueViolation:
        raise RoomNameTaken() from None
    return cursor.fetchone()


def delete_room(cursor, room_id):
    cursor.execute("DELETE FROM rooms WHERE id = %(room_id)s", {"room_id": room_id})


def find_room_for(cursor, room_id, user_id):
    """The room with `is_member` for `user_id`, or None."""
    cursor.execute(
        f"""
        SELECT {ROOM_COLUMNS},
               EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = %(user_id)s) AS is_member
          FROM rooms r WHERE r.id = %(room_id)s
        """,
        {"room_id": room_id, "user_id": user_id},
    )
    return cursor.fetchone()


# A room `r` as getRooms lists it to the member `mine` (a room_members row, or NULLs for someone
# not in it): its member count, and what they have read of it.
_LISTED_ROOM_COLUMNS = f"""
    {ROOM_COLUMNS},
    (SELECT count(*) FROM room_members m WHERE m.room_id = r.id) AS members,
    coalesce(mine.last_read_seq, 0) AS last_read_seq,
    CASE WHEN mine.user_id IS NULL OR mine.last_read_seq >= r.last_seq THEN 0 ELSE
        (SELECT count(*) FROM (
             SELECT 1 FROM room_events e JOIN messages msg ON msg.id = e.message_id
              WHERE e.room_id = r.id AND e.seq > mine.last_read_seq AND e.kind = 'message'
                AND msg.user_id IS DISTINCT FROM mine.user_id AND msg.deleted_at IS NULL
              LIMIT {UNREAD_CAP}) AS counted)
    END AS unread
"""

LIST_ROOMS = PreparedStatement(
    "list_rooms",
    f"""
    SELECT {_LISTED_ROOM_COLUMNS},
           mine.user_id IS NOT NULL AS is_member
      FROM (SELECT room_id AS id FROM room_members WHERE user_id = %(user_id)s
            UNION ALL
            (SELECT p.id FROM rooms p
              WHERE NOT p.private AND p.id > %(after_id)s
                AND NOT EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = p.id AND m.user_id = %(user_id)s)
              ORDER BY p.id LIMIT %(limit)s)) AS listed
      JOIN rooms r ON r.id = listed.id
      LEFT JOIN room_members mine ON mine.room_id = r.id AND mine.user_id = %(user_id)s
     ORDER BY r.id
    """,
    {"user_id": "bigint", "after_id": "bigint", "limit": "integer"},
)


def list_rooms_for(cursor, user_id, after_id, limit):
    """Every room `user_id` belongs to, and the first `limit` public rooms after `after_id` they do
    not, with their member counts, and what `user_id` has read of the ones they belong to: up to
    which seq, and how many messages of others (not deleted) came after it, counted up to UNREAD_CAP
    (a room never read costs no more). Prepared: planning it took twice as long as running it."""
    LIST_ROOMS.execute(cursor, {"user_id": user_id, "after_id": after_id, "limit": limit})
    return cursor.fetchall()


def room_for_members(cursor, room_id, user_ids):
    """The room as getRooms lists it to each of `user_ids` still in it, with their `user_id`."""
    cursor.execute(
        f"""
        SELECT {_LISTED_ROOM_COLUMNS}, mine.user_id
          FROM rooms r JOIN room_members mine ON mine.room_id = r.id
         WHERE r.id = %(room_id)s AND mine.user_id = ANY(%(user_ids)s)
        """,
        {"room_id": room_id, "user_ids": user_ids},
    )
    return cursor.fetchall()


def rooms_of_member(cursor, user_id):
    """The rooms `user_id` belongs to, with `quiet` for a DM no one has written in yet."""
    cursor.execute(
        """
        SELECT r.id, r.kind = 'dm' AND r.last_seq = 0 AS quiet
          FROM room_members m JOIN rooms r ON r.id = m.room_id
         WHERE m.user_id = %(user_id)s
        """,
        {"user_id": user_id},
    )
    return cursor.fetchall()


def search_messages(cursor, user_id, query, room_id, author, before_id, limit):
    """The newest `limit` messages (before `before_id`, if given) whose current text matches `query`
    (websearch_to_tsquery's syntax, the `simple` configuration) that `user_id` may read, in `room_id`
    and by the user named `author` if given. Planned for each query, not prepared: how many messages
    a query's words match decides between the text index and walking the newest messages."""
    cursor.execute(
        """
        SELECT m.id, m.room_id, r.name AS room_name, e.seq, m.user_id, u.username, m.content, m.created_at
          FROM messages m
          JOIN rooms r ON r.id = m.room_id
          JOIN room_events e ON e.message_id = m.id AND e.kind = 'message'
          LEFT JOIN users u ON u.id = m.user_id
         WHERE m.search @@ websearch_to_tsquery('simple', %(query)s)
           AND m.deleted_at IS NULL
           -- Public rooms, and the private rooms and DMs the searcher is in: never anyone else's.
           AND (NOT r.private
                OR EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = m.room_id AND rm.user_id = %(user_id)s))
           AND (%(room_id)s::bigint IS NULL OR m.room_id = %(room_id)s)
           AND (%(author)s::text IS NULL OR lower(u.username) = lower(%(author)s))
           AND (%(before_id)s::bigint IS NULL OR m.id < %(before_id)s)
         ORDER BY m.id DESC
         LIMIT %(limit)s
        """,
        {
            "query": query,
            "user_id": user_id,
            "room_id": room_id,
            "author": author,
            "before_id": before_id,
            "limit": limit,
        },
    )
    return cursor.fetchall()


def lock_user(cursor, user_id):
    """Hold the user's row until the transaction ends: their concurrent requests take turns."""
    cursor.execute("SELECT id FROM users WHERE id = %(user_id)s FOR NO KEY UPDATE", {"user_id": user_id})


def rooms_created_since(cursor, owner_id, seconds):
    """How many rooms `owner_id` created in the last `seconds`, and when the oldest of them did."""
    cursor.execute(
        """
        SELECT count(*) AS created, extract(epoch FROM now() - min(created_at))::float AS oldest_age
          FROM rooms WHERE owner_id = %(owner_id)s AND created_at > now() - make_interval(secs => %(seconds)s)
        """,
        {"owner_id": owner_id, "seconds": seconds},
    )
    return cursor.fetchone()


def mark_read(cursor, room_id, user_id, seq):
    """Move the member's read mark up to `seq` (at most the room's last seq; never backwards).
    Their mark, or None if `user_id` is not a member."""
    cursor.execute(
        """
        UPDATE room_members m SET last_read_seq = greatest(m.last_read_seq, least(%(seq)s, r.last_seq))
          FROM rooms r
         WHERE r.id = m.room_id AND m.room_id = %(room_id)s AND m.user_id = %(user_id)s
        RETURNING m.last_read_seq
        """,
        {"room_id": room_id, "user_id": user_id, "seq": seq},
    )
    row = cursor.fetchone()
    return row["last_read_seq"] if row else None


def lock_direct_pair(cursor, user_id, other_id):
    """Lock the two accounts (so that a pair opens one DM, however many ask at once) and return
    what decides whether `user_id` may message `other_id`: the other's name and DM setting, whether
    they follow `user_id`, and whether either blocked the other. None if `other_id` is no user."""
    cursor.execute(
        """
        SELECT id FROM users WHERE id IN (%(user_id)s, %(other_id)s) ORDER BY id FOR NO KEY UPDATE
        """,
        {"user_id": user_id, "other_id": other_id},
    )
    cursor.execute(
        """
        SELECT u.id, u.username, u.dms_from,
               EXISTS (SELECT 1 FROM follows f
                        WHERE f.follower_id = u.id AND f.followee_id = %(user_id)s) AS follows_me,
               EXISTS (SELECT 1 FROM blocks b
                        WHERE (b.blocker_id, b.blocked_id) IN ((u.id, %(user_id)s), (%(user_id)s, u.id))) AS blocked
          FROM users u WHERE u.id = %(other_id)s
        """,
        {"user_id": user_id, "other_id": other_id},
    )
    return cursor.fetchone()


def find_direct_room(cursor, user_low, user_high):
    cursor.execute(
        f"""
        SELECT {ROOM_COLUMNS} FROM direct_rooms d JOIN rooms r ON r.id = d.room_id
         WHERE d.user_low = %(low)s AND d.user_high = %(high)s
        """,
        {"low": user_low, "high": user_high},
    )
    return cursor.fetchone()


def insert_direct_room(cursor, user_low, user_high, name):
    """The pair's private room, with no owner, both of them in it."""
    cursor.execute(
        """
        INSERT INTO rooms (name, private, owner_id, kind) VALUES (%(name)s, true, NULL, 'dm')
        RETURNING id, name, private, owner_id, created_at, last_seq, kind
        """,
        {"name": name},
    )
    room = cursor.fetchone()
    cursor.execute(
        "INSERT INTO direct_rooms (user_low, user_high, room_id) VALUES (%(low)s, %(high)s, %(room_id)s)",
        {"low": user_low, "high": user_high, "room_id": room["id"]},
    )
    return room


MENTIONS_QUERY = """
    SELECT m.id, m.room_id, r.name AS room_name, m.user_id, u.username, m.content, m.created_at, e.seq
      FROM mentions mn
      JOIN messages m ON m.id = mn.message_id
      JOIN rooms r ON r.id = m.room_id
      JOIN room_events e ON e.message_id = m.id AND e.kind = 'message'
      LEFT JOIN users u ON u.id = m.user_id
     WHERE mn.user_id = %(user_id)s AND m.id > %(after_id)s AND m.deleted_at IS NULL
       AND (NOT r.private
            OR EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = %(user_id)s))
"""


def mentions_of(cursor, user_id, after_id, limit):
    """Messages that name `user_id`, not deleted, in rooms they may still read, in id order: the
    first `limit` after `after_id`, or with no `after_id` the newest `limit`."""
    if after_id:
        cursor.execute(
            MENTIONS_QUERY + " ORDER BY m.id LIMIT %(limit)s",
            {"user_id": user_id, "after_id": after_id, "limit": limit},
        )
        return cursor.fetchall()
    cursor.execute(
        MENTIONS_QUERY + " ORDER BY m.id DESC LIMIT %(limit)s", {"user_id": user_id, "after_id": 0, "limit": limit}
    )
    return cursor.fetchall()[::-1]


def blocked_between(cursor, user_id, other_id):
    """Whether either of the two blocks the other."""
    cursor.execute(
        """
        SELECT EXISTS (SELECT 1 FROM blocks
                        WHERE (blocker_id, blocked_id) IN ((%(user_id)s, %(other_id)s), (%(other_id)s, %(user_id)s)))
        """,
        {"user_id": user_id, "other_id": other_id},
    )
    return cursor.fetchone()["exists"]


def insert_member(cursor, room_id, user_id, quiet=False):
    """Make `user_id` a member, and tell their event streams once the transaction commits (`quiet`:
    a DM opened by the other, announced once someone writes in it). False if they were one already."""
    try:
        cursor.execute(
            "INSERT INTO room_members (room_id, user_id) VALUES (%(room_id)s, %(user_id)s) ON CONFLICT DO NOTHING",
            {"room_id": room_id, "user_id": user_id},
        )
    except psycopg2.errors.ForeignKeyViolation:
        raise UserNotFound() from None
    if cursor.rowcount != 1:
        return False
    notify(cursor, ROOMS_CHANGED_CHANNEL, {"room_id": room_id, "user_id": user_id, "change": "added", "quiet": quiet})
    return True


def announce_membership_ended(cursor, room_id, user_id=None):
    """Tell every ws_service process, once the transaction commits, to close the sockets `user_id`
    holds in the room (every socket in it, without a user: the room is gone)."""
    notify(cursor, MEMBERSHIPS_ENDED_CHANNEL, {"room_id": room_id, "user_id": user_id})


def delete_member(cursor, room_id, user_id):
    cursor.execute(
        "DELETE FROM room_members WHERE room_id = %(room_id)s AND user_id = %(user_id)s",
        {"room_id": room_id, "user_id": user_id},
    )
    return cursor.rowcount == 1


def take_next_seq(cursor, room_id):
    """The room's next seq. The row stays locked until the transaction ends, so the room's events
    are numbered in the order they commit, and a rollback leaves no gap. None if the room is gone."""
    cursor.execute(
        "UPDATE rooms SET last_seq = last_seq + 1 WHERE id = %(room_id)s RETURNING last_seq", {"room_id": room_id}
    )
    row = cursor.fetchone()
    return row["last_seq"] if row else None


def find_message(cursor, room_id, message_id):
    """A message of the room that is not deleted, locked for update, or None."""
    cursor.execute(
        "SELECT id, user_id FROM messages WHERE id = %(id)s AND room_id = %(room_id)s AND deleted_at IS NULL "
        "FOR UPDATE",
        {"id": message_id, "room_id": room_id},
    )
    return cursor.fetchone()


def edit_message(cursor, message_id, content):
    cursor.execute(
        "UPDATE messages SET content = %(content)s, edited_at = now() WHERE id = %(id)s",
        {"id": message_id, "content": content},
    )


def delete_message(cursor, message_id):
    """Mark it deleted and forget what it said, in the message, in its edits and its files."""
    cursor.execute("UPDATE messages SET content = '', deleted_at = now() WHERE id = %(id)s", {"id": message_id})
    cursor.execute("DELETE FROM attachments WHERE message_id = %(id)s", {"id": message_id})
    cursor.execute(
        "UPDATE room_events SET content = '' WHERE message_id = %(id)s AND content IS NOT NULL", {"id": message_id}
    )


def insert_event(cursor, room_id, seq, kind, message_id, content=None, user_id=None, emoji=None):
    cursor.execute(
        """
        INSERT INTO room_events (room_id, seq, kind, message_id, content, user_id, emoji)
        VALUES (%(room_id)s, %(seq)s, %(kind)s, %(message_id)s, %(content)s, %(user_id)s, %(emoji)s)
        """,
        {
            "room_id": room_id,
            "seq": seq,
            "kind": kind,
            "message_id": message_id,
            "content": content,
            "user_id": user_id,
            "emoji": emoji,
        },
    )


def add_reaction(cursor, message_id, user_id, emoji):
    """True if it is new; None past MAX_EMOJI_PER_MESSAGE distinct emoji on the message."""
    cursor.execute(
        "SELECT count(DISTINCT emoji) AS kinds, bool_or(emoji = %(emoji)s) AS known FROM reactions "
        "WHERE message_id = %(message_id)s",
        {"message_id": message_id, "emoji": emoji},
    )
    counted = cursor.fetchone()
    if not counted["known"] and counted["kinds"] >= MAX_EMOJI_PER_MESSAGE:
        return None
    cursor.execute(
        "INSERT INTO reactions (message_id, user_id, emoji) VALUES (%(message_id)s, %(user_id)s, %(emoji)s) "
        "ON CONFLICT DO NOTHING",
        {"message_id": message_id, "user_id": user_id, "emoji": emoji},
    )
    return cursor.rowcount == 1


def remove_reaction(cursor, message_id, user_id, emoji):
    """True if there was one to remove."""
    cursor.execute(
        "DELETE FROM reactions WHERE message_id = %(message_id)s AND user_id = %(user_id)s AND emoji = %(emoji)s",
        {"message_id": message_id, "user_id": user_id, "emoji": emoji},
    )
    return cursor.rowcount == 1


def reactions_of(cursor, message_ids):
    """Each message's reactions: emoji, how many, and the first 20 who reacted, in the order the
    emoji were first put on it."""
    cursor.execute(
        f"""
        SELECT message_id, emoji, count(*) AS count,
               (array_agg(user_id ORDER BY created_at, user_id))[1:{MAX_EMOJI_PER_MESSAGE}] AS user_ids
          FROM reactions WHERE message_id = ANY(%(ids)s)
         GROUP BY message_id, emoji
         ORDER BY message_id, min(created_at), emoji
        """,
        {"ids": list(message_ids)},
    )
    return cursor.fetchall()


def thread_summaries(cursor, root_ids):
    """Of the messages `root_ids`: those with replies (not deleted), how many, and the newest's time."""
    cursor.execute(
        """
        SELECT reply_to AS root_id, count(*) AS reply_count, max(created_at) AS last_reply_at
          FROM messages WHERE reply_to = ANY(%(ids)s) AND deleted_at IS NULL
         GROUP BY reply_to
        """,
        {"ids": list(root_ids)},
    )
    return cursor.fetchall()


def message_exists(cursor, room_id, message_id):
    """Whether the message is the room's (deleted or not)."""
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM messages WHERE id = %(id)s AND room_id = %(room_id)s)",
        {"id": message_id, "room_id": room_id},
    )
    return cursor.fetchone()["exists"]


def replies_to(cursor, room_id, root_id, after_id, limit):
    """The `message` events of the root's replies that are not deleted, in order: the first `limit`
    after `after_id`."""
    cursor.execute(
        EVENT_QUERY
        + """ WHERE e.room_id = %(room_id)s AND e.kind = 'message' AND m.reply_to = %(root_id)s
                AND m.id > %(after_id)s AND m.deleted_at IS NULL
              ORDER BY m.id LIMIT %(limit)s""",
        {"room_id": room_id, "root_id": root_id, "after_id": after_id, "limit": limit},
    )
    return cursor.fetchall()


def uploads_since(cursor, user_id, seconds):
    """How many files `user_id` uploaded in the last `seconds`, and how long ago the oldest of them."""
    cursor.execute(
        """
        SELECT count(*) AS uploaded, extract(epoch FROM now() - min(created_at))::float AS oldest_age
          FROM attachments WHERE user_id = %(user_id)s AND created_at > now() - make_interval(secs => %(seconds)s)
        """,
        {"user_id": user_id, "seconds": seconds},
    )
    return cursor.fetchone()


def insert_attachment(cursor, room_id, user_id, name, size, content_type, image):
    """An upload's row (its bytes go in insert_attachment_chunk); `image`: ImageFacts or None. Its id."""
    cursor.execute(
        """
        INSERT INTO attachments (room_id, user_id, name, size, content_type, width, height, thumbnail)
        VALUES (%(room_id)s, %(user_id)s, %(name)s, %(size)s, %(content_type)s, %(width)s, %(height)s, %(thumbnail)s)
        RETURNING id
        """,
        {
            "room_id": room_id,
            "user_id": user_id,
            "name": name,
            "size": size,
            "content_type": content_type,
            "width": image.width if image else None,
            "height": image.height if image else None,
            "thumbnail": psycopg2.Binary(image.thumbnail) if image else None,
        },
    )
    return cursor.fetchone()["id"]


def insert_attachment_chunk(cursor, attachment_id, n, data):
    cursor.execute(
        "INSERT INTO attachment_chunks (attachment_id, n, bytes) VALUES (%(id)s, %(n)s, %(bytes)s)",
        {"id": attachment_id, "n": n, "bytes": psycopg2.Binary(data)},
    )


def attachment_for(cursor, room_id, attachment_id, user_id):
    """The attachment of the room if `user_id` is a member of it now: sent with a message, or an
    upload of theirs not sent yet. None otherwise."""
    cursor.execute(
        """
        SELECT a.id, a.name, a.size, a.content_type, a.width, a.height, a.thumbnail IS NOT NULL AS has_thumbnail
          FROM attachments a
         WHERE a.id = %(id)s AND a.room_id = %(room_id)s
           AND EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = a.room_id AND m.user_id = %(user_id)s)
           AND (a.message_id IS NOT NULL OR a.user_id = %(user_id)s)
        """,
        {"id": attachment_id, "room_id": room_id, "user_id": user_id},
    )
    return cursor.fetchone()


def attachment_chunk(cursor, attachment_id, n):
    """The `n`th chunk's bytes (a memoryview), or None past the last (or if the file is gone)."""
    cursor.execute(
        "SELECT bytes FROM attachment_chunks WHERE attachment_id = %(id)s AND n = %(n)s", {"id": attachment_id, "n": n}
    )
    row = cursor.fetchone()
    return row["bytes"] if row else None


def attachment_thumbnail(cursor, attachment_id):
    cursor.execute("SELECT thumbnail FROM attachments WHERE id = %(id)s", {"id": attachment_id})
    row = cursor.fetchone()
    return row["thumbnail"] if row else None


def delete_unsent_attachments(cursor, older_than_seconds):
    """Remove the uploads never sent with a message within `older_than_seconds`; how many."""
    cursor.execute(
        "DELETE FROM attachments WHERE message_id IS NULL AND created_at < now() - make_interval(secs => %(age)s)",
        {"age": older_than_seconds},
    )
    return cursor.rowcount


def dm_blocked(cursor, room_id):
    """Whether the room is a DM one of whose two people blocked the other."""
    cursor.execute(
        """
        SELECT EXISTS (SELECT 1 FROM direct_rooms d JOIN blocks b
                          ON (b.blocker_id, b.blocked_id) IN ((d.user_low, d.user_high), (d.user_high, d.user_low))
                       WHERE d.room_id = %(room_id)s) AS blocked
        """,
        {"room_id": room_id},
    )
    return cursor.fetchone()["blocked"]


# A message's files as its event lists them, from the rows `a` of the attachments table.
_ATTACHMENTS_JSON = """
    json_agg(json_build_object('id', a.id, 'name', a.name, 'size', a.size, 'content_type', a.content_type,
                               'width', a.width, 'height', a.height) ORDER BY a.position, a.id)
"""

EVENT_QUERY = f"""
    SELECT e.room_id, e.seq, e.kind, e.content AS edit_content, e.created_at AS event_at,
           e.emoji, e.user_id AS actor_id, actor.username AS actor_name,
           m.id, m.user_id, u.username, m.content, m.client_id, m.reply_to, m.created_at,
           CASE WHEN e.kind = 'message' THEN
               (SELECT {_ATTACHMENTS_JSON} FROM attachments a WHERE a.message_id = m.id) END AS attachments
      FROM room_events e
      JOIN messages m ON m.id = e.message_id
      LEFT JOIN users u ON u.id = m.user_id
      LEFT JOIN users actor ON actor.id = e.user_id
"""


def events_after(cursor, room_id, after_seq, limit):
    cursor.execute(
        EVENT_QUERY + " WHERE e.room_id = %(room_id)s AND e.seq > %(after)s ORDER BY e.seq LIMIT %(limit)s",
        {"room_id": room_id, "after": after_seq, "limit": limit},
    )
    return cursor.fetchall()


def events_between(cursor, room_id, after_seq, before_seq, limit):
    """The newest `limit` events with after < seq < before, in seq order."""
    cursor.execute(
        f"""
        SELECT * FROM ({EVENT_QUERY}
                        WHERE e.room_id = %(room_id)s AND e.seq > %(after)s AND e.seq < %(before)s
                        ORDER BY e.seq DESC LIMIT %(limit)s) newest
         ORDER BY seq
        """,
        {"room_id": room_id, "after": after_seq, "before": before_seq, "limit": limit},
    )
    return cursor.fetchall()


def event_at(cursor, room_id, seq):
    cursor.execute(EVENT_QUERY + " WHERE e.room_id = %(room_id)s AND e.seq = %(seq)s", {"room_id": room_id, "seq": seq})
    return cursor.fetchone()


# Storing messages: one prepared statement stores a batch (group commit: ws_service/committer.py),
# a single message being a batch of one. The variant for a batch where someone is @-mentioned also
# stores the mentions; it is kept apart because a data-modifying CTE costs every message, mentions
# or not: with it, 100 writers in 50 rooms waited a median 25 ms instead of 5 ms on PostgreSQL.
_STORE_MESSAGES_SQL = """
    WITH sent AS (
        SELECT s.ord, s.room_id, s.user_id, s.content, s.client_id, s.reply_to,
               nextval('messages_id_seq') AS id  -- the identity's own sequence
          FROM unnest(%(room_ids)s, %(user_ids)s, %(contents)s, %(client_ids)s, %(reply_tos)s)
               WITH ORDINALITY AS s (room_id, user_id, content, client_id, reply_to, ord)
{attachments_claimed}    ), locked AS (
        -- The batch's rooms, locked in id order before anything is written: two processes' batches
        -- over the same rooms then wait for each other instead of deadlocking. The lock is held to
        -- the commit, so a room's seqs are taken in commit order, gapless.
        SELECT id, private FROM rooms WHERE id IN (SELECT room_id FROM sent) ORDER BY id FOR UPDATE
    ), checked AS (
        SELECT sent.*,
               EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = sent.room_id AND rm.user_id = sent.user_id)
                   AS is_member,
               -- A DM between two people one of whom blocked the other takes no message (an index
               -- probe on direct_rooms that finds nothing for any other room).
               EXISTS (SELECT 1 FROM direct_rooms d JOIN blocks b
                          ON (b.blocker_id, b.blocked_id) IN ((d.user_low, d.user_high), (d.user_high, d.user_low))
                       WHERE d.room_id = sent.room_id) AS blocked,
               -- The thread a reply joins: the root of the message it answers, in the same room.
               (SELECT coalesce(p.reply_to, p.id) FROM messages p
                 WHERE p.id = sent.reply_to AND p.room_id = sent.room_id AND p.deleted_at IS NULL) AS root_id,
{attachments_ready}
          FROM sent
    ), message AS (
        -- A repeated client_id (stored before, earlier in this batch, or in flight: its insert waits
        -- for the first to commit) is not stored again, and takes no seq.
        INSERT INTO messages (id, room_id, user_id, content, client_id, reply_to) OVERRIDING SYSTEM VALUE
        SELECT id, room_id, user_id, content, client_id, root_id FROM checked
         WHERE is_member AND NOT blocked AND (reply_to IS NULL OR root_id IS NOT NULL) AND attachments_ready
           AND room_id IN (SELECT id FROM locked)
         ORDER BY ord
        ON CONFLICT (room_id, user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
        RETURNING id, room_id, user_id, content, client_id, reply_to, created_at
    ), numbered AS (
        SELECT message.id, message.room_id, message.user_id, checked.ord,
               row_number() OVER (PARTITION BY message.room_id ORDER BY checked.ord) AS nth,
               count(*) OVER (PARTITION BY message.room_id) AS in_room
          FROM message JOIN checked ON checked.id = message.id
    ), room AS (
        UPDATE rooms r SET last_seq = r.last_seq + counted.n
          FROM (SELECT room_id, count(*) AS n FROM message GROUP BY room_id) counted
         WHERE r.id = counted.room_id AND r.id IN (SELECT id FROM locked)
        RETURNING r.id, r.last_seq
    ), event AS (
        INSERT INTO room_events (room_id, seq, kind, message_id)
        SELECT numbered.room_id, room.last_seq - numbered.in_room + numbered.nth, 'message', numbered.id
          FROM numbered JOIN room ON room.id = numbered.room_id
        RETURNING room_id, seq, kind, message_id, created_at
{mention}{attachments_linked}    )
    SELECT checked.is_member, checked.blocked, checked.reply_to IS NOT NULL AND checked.root_id IS NULL AS no_root,
           checked.attachments_ready,
           e.room_id, e.seq, e.kind, NULL AS edit_content, e.created_at AS event_at,
           m.id, m.user_id, u.username, m.content, m.client_id, m.reply_to, m.created_at,
           {attachments_listed} AS attachments
      FROM checked
      LEFT JOIN message m ON m.id = checked.id
      LEFT JOIN event e ON e.message_id = checked.id
      LEFT JOIN users u ON u.id = m.user_id
     ORDER BY checked.ord
    """
_MENTIONS_CTE = """
    ), mention AS (
        -- Those a message names as @username, other than its author and anyone with a block between
        -- them and the author; in a private room, members only.
        INSERT INTO mentions (user_id, message_id)
        SELECT u.id, numbered.id
          FROM unnest(%(mention_ords)s, %(mention_names)s) AS named (ord, name)
          JOIN numbered ON numbered.ord = named.ord
          JOIN locked ON locked.id = numbered.room_id
          JOIN users u ON lower(u.username) = named.name
         WHERE u.id <> numbered.user_id
           AND NOT EXISTS (SELECT 1 FROM blocks b
                            WHERE (b.blocker_id, b.blocked_id) IN ((u.id, numbered.user_id), (numbered.user_id, u.id)))
           AND (NOT locked.private
                OR EXISTS (SELECT 1 FROM room_members WHERE room_id = numbered.room_id AND user_id = u.id))
"""
# The variant for a batch where a message has files: each file must be an upload of the sender's to
# the same room, not sent yet, and named once in the batch; it is locked, so that two sends naming it
# at once cannot both take it.
_ATTACHMENTS_CLAIMED = """
    ), wanted AS (
        SELECT * FROM unnest(%(attachment_ords)s, %(attachment_ids)s)
                      WITH ORDINALITY AS w (ord, attachment_id, position)
    ), claimable AS (
        SELECT id, room_id, user_id FROM attachments
         WHERE id IN (SELECT attachment_id FROM wanted) AND message_id IS NULL
         ORDER BY id FOR UPDATE
"""
_ATTACHMENTS_READY = """
               NOT EXISTS (SELECT 1 FROM wanted w
                            WHERE w.ord = sent.ord
                              AND (NOT EXISTS (SELECT 1 FROM claimable c
                                                WHERE c.id = w.attachment_id AND c.room_id = sent.room_id
                                                  AND c.user_id = sent.user_id)
                                   OR EXISTS (SELECT 1 FROM wanted earlier
                                               WHERE earlier.attachment_id = w.attachment_id AND earlier.ord < w.ord)))
                   AS attachments_ready"""
_ATTACHMENTS_LINKED = """
    ), linked AS (
        UPDATE attachments a SET message_id = numbered.id, position = w.position
          FROM wanted w JOIN numbered ON numbered.ord = w.ord
         WHERE a.id = w.attachment_id
        RETURNING a.id, a.message_id, a.position, a.name, a.size, a.content_type, a.width, a.height
"""
_STORE_MESSAGES_TYPES = {
    "room_ids": "bigint[]",
    "user_ids": "bigint[]",
    "contents": "text[]",
    "client_ids": "text[]",
    "reply_tos": "bigint[]",
}


def _store_messages_statement(mentions, attachments):
    sql, types = _STORE_MESSAGES_SQL, dict(_STORE_MESSAGES_TYPES)
    sql = sql.replace("{mention}", _MENTIONS_CTE if mentions else "")
    if mentions:
        types.update(mention_ords="bigint[]", mention_names="text[]")
    if attachments:
        types.update(attachment_ords="bigint[]", attachment_ids="bigint[]")
        sql = (
            sql.replace("{attachments_claimed}", _ATTACHMENTS_CLAIMED)
            .replace("{attachments_ready}", _ATTACHMENTS_READY)
            .replace("{attachments_linked}", _ATTACHMENTS_LINKED)
            .replace("{attachments_listed}", f"(SELECT {_ATTACHMENTS_JSON} FROM linked a WHERE a.message_id = m.id)")
        )
    else:
        sql = (
            sql.replace("{attachments_claimed}", "")
            .replace("{attachments_ready}", "               true AS attachments_ready")
            .replace("{attachments_linked}", "")
            .replace("{attachments_listed}", "NULL::json")
        )
    name = "store_messages" + ("_mentioning" if mentions else "") + ("_with_files" if attachments else "")
    return PreparedStatement(name, sql, types)


# By (with mentions, with files): most batches need neither, and pay for neither.
STORE_MESSAGES = {
    (mentions, attachments): _store_messages_statement(mentions, attachments)
    for mentions in (False, True)
    for attachments in (False, True)
}


@dataclass(frozen=True)
class Send:
    """A member's message to be stored: `mentioned` holds the lower-case names it @-mentions."""

    room_id: int
    user_id: int
    content: str
    client_id: str | None
    mentioned: tuple[str, ...] = ()
    reply_to: int | None = None  # the message it answers
    attachment_ids: tuple[int, ...] = ()  # uploads of the sender's to the room, not sent yet


def store_messages(cursor, sends):
    """Store `sends` in one statement that needs no transaction around it (one round trip, one
    commit), each with its room's next seq, in the order given. Returns an (outcome, row) per send,
    in order: ("stored", the event's row), ("repeated", None), ("blocked", None) in a DM where one
    blocked the other, ("not_a_member", None) if the room is gone or the sender is not in it, or
    ("no_reply_target", None) for a reply to a message that is not in the room (or deleted), or
    ("attachments_unavailable", None) when a file named is not an unsent upload of the sender's there."""
    params = {
        "room_ids": [send.room_id for send in sends],
        "user_ids": [send.user_id for send in sends],
        "contents": [send.content for send in sends],
        "client_ids": [send.client_id for send in sends],
        "reply_tos": [send.reply_to for send in sends],
    }
    named = [(ord_, name) for ord_, send in enumerate(sends, 1) for name in send.mentioned]
    if named:
        params["mention_ords"] = [ord_ for ord_, _ in named]
        params["mention_names"] = [name for _, name in named]
    files = [(ord_, attachment_id) for ord_, send in enumerate(sends, 1) for attachment_id in send.attachment_ids]
    if files:
        params["attachment_ords"] = [ord_ for ord_, _ in files]
        params["attachment_ids"] = [attachment_id for _, attachment_id in files]
    STORE_MESSAGES[bool(named), bool(files)].execute(cursor, params)
    return [_outcome(row) for row in cursor.fetchall()]


def _outcome(row):
    if row["id"] is not None:
        return "stored", row
    if row["blocked"]:
        return "blocked", None
    if row["no_root"] and row["is_member"]:
        return "no_reply_target", None
    if not row["attachments_ready"] and row["is_member"]:
        return "attachments_unavailable", None
    return ("repeated" if row["is_member"] else "not_a_member"), None


def find_sent_event(cursor, room_id, user_id, client_id):
    """The stored `message` event of the user's earlier send with this client_id, or None."""
    cursor.execute(
        EVENT_QUERY
        + """ WHERE m.room_id = %(room_id)s AND m.user_id = %(user_id)s AND m.client_id = %(client_id)s
                            AND e.kind = 'message'""",
        {"room_id": room_id, "user_id": user_id, "client_id": client_id},
    )
    return cursor.fetchone()


def ended_sockets(cursor, sockets):
    """Of `sockets` ((jti, user_id, room_id) triples; room_id None for a user stream), the token ids
    revoked or whose user no longer exists, and the (room_id, user_id) memberships that no longer exist."""
    cursor.execute(
        """
        SELECT s.jti, s.user_id, s.room_id,
               EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = s.jti)
               OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id) AS session_ended
          FROM unnest(%(jtis)s::text[], %(user_ids)s::bigint[], %(room_ids)s::bigint[]) AS s (jti, user_id, room_id)
         WHERE EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = s.jti)
            OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)
            OR (s.room_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = s.room_id AND m.user_id = s.user_id))
        """,
        {
            "jtis": [jti for jti, _, _ in sockets],
            "user_ids": [user_id for _, user_id, _ in sockets],
            "room_ids": [room_id for _, _, room_id in sockets],
        },
    )
    rows = cursor.fetchall()
    return (
        {row["jti"] for row in rows if row["session_ended"]},
        {(row["room_id"], row["user_id"]) for row in rows if not row["session_ended"]},
    )
