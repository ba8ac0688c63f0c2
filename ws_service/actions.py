"""What ws_service does. Each change is one function: check, store with the room's next seq,
commit, and only then publish, so that no one ever receives an event that was not stored."""

import logging
from dataclasses import dataclass

import psycopg2.errors
from flask import current_app
from prometheus_client import Gauge

from shared import db
from shared.errors import Forbidden, NotFound, RateLimited, Unprocessable, UserNotFound
from ws_service import storage
from ws_service.events import DELETED_USER, event_from_row, mentioned_names, typing_event
from ws_service.reactions import MAX_EMOJI_PER_MESSAGE
from ws_service.search_terms import highlights

log = logging.getLogger(__name__)


class RoomNotFound(NotFound):
    code = "room_not_found"
    message = "No such room."


class NotAMember(Forbidden):
    code = "not_a_member"
    message = "Join the room first."


class NotTheOwner(Forbidden):
    code = "not_the_owner"
    message = "Only the room's owner may do this."


class MessageNotFound(NotFound):
    code = "message_not_found"
    message = "No such message in this room."


class ReplyTargetNotFound(NotFound):
    code = "message_not_found"
    message = "The message this replies to is not in this room."


class AttachmentsUnavailable(NotFound):
    code = "attachment_not_found"
    message = "A file named is not an upload of yours to this room waiting to be sent."


class NotTheAuthor(Forbidden):
    code = "not_the_author"
    message = "Only its author may change this message."


class TooManyReactions(Unprocessable):
    code = "too_many_reactions"
    message = f"A message takes at most {MAX_EMOJI_PER_MESSAGE} different emoji."


class CannotMessageYourself(Unprocessable):
    code = "cannot_dm_yourself"
    message = "You cannot open a direct message with yourself."


class DirectMessagesRefused(Forbidden):
    code = "dms_refused"
    message = "This user takes direct messages only from people they follow."


class Blocked(Forbidden):
    code = "blocked"
    message = "One of you has blocked the other."


def _hub():
    return current_app.extensions["parley_hub"]


def _broker():
    return current_app.extensions["parley_broker"]


def publish_event(event, by):
    """Publish a stored event that `by` made (an edit or a delete: the event does not name them)."""
    _broker().publish([event], by={"id": by["id"], "username": by["username"]})


def announce_typing(room_id, user):
    """Tell the room's other sockets, in every process, that `user` is typing: never stored, no seq."""
    _broker().publish_ephemeral(typing_event(room_id, user))


def _public_room(row):
    return {key: row[key] for key in ("id", "name", "private", "owner_id", "created_at", "kind")}


def _visible_room(cursor, room_id, user_id):
    """The room if `user_id` may see it; a private room is not there for anyone else."""
    room = storage.find_room_for(cursor, room_id, user_id)
    if room is None or (room["private"] and not room["is_member"]):
        raise RoomNotFound()
    return room


def member_room(cursor, room_id, user_id):
    room = _visible_room(cursor, room_id, user_id)
    if not room["is_member"]:
        raise NotAMember()
    return room


def _owned_room(cursor, room_id, user_id):
    room = _visible_room(cursor, room_id, user_id)
    if room["owner_id"] != user_id:
        raise NotTheOwner()
    return room


# -- rooms ---------------------------------------------------------------------------------------


# Rooms one person may create in an hour: enough for anyone, not for filling everyone's room list.
ROOM_CREATION_WINDOW_SECONDS = 3600


def do_create_room(user_id, name, private):
    limit = current_app.config["PARLEY"].room_creations_per_hour
    with db.transaction() as cursor:
        if limit:
            storage.lock_user(cursor, user_id)  # one creation of theirs at a time: the count holds
            recent = storage.rooms_created_since(cursor, user_id, ROOM_CREATION_WINDOW_SECONDS)
            if recent["created"] >= limit:
                raise RateLimited(
                    ROOM_CREATION_WINDOW_SECONDS - recent["oldest_age"],
                    f"You have created {limit} rooms in the last hour; try again later.",
                )
        return _public_room(storage.insert_room(cursor, name, private, user_id))


def list_rooms(user_id, after_id, limit):
    """Every room `user_id` belongs to, and a page of the public rooms they do not, with the id to
    ask the next page after (None at the end)."""
    with db.autocommit() as cursor:
        rows = storage.list_rooms_for(cursor, user_id, after_id, limit)
    online = _broker().online_counts([row["id"] for row in rows])
    others = [row["id"] for row in rows if not row["is_member"]]
    rooms = [_listed_room(row, online[row["id"]]) for row in rows]
    return {"rooms": rooms, "next_after_id": others[-1] if len(others) == limit else None}


def _listed_room(row, online):
    return {
        "id": row["id"],
        "name": row["name"],
        "private": row["private"],
        "kind": row["kind"],
        "members": row["members"],
        "online": online,
        "unread": row["unread"],
        "last_read_seq": row["last_read_seq"],
        # The room's newest seq as read: the event stream's activity up to it is in `unread` already.
        "last_seq": row["last_seq"],
    }


def rooms_of_member(user_id):
    """For a user event stream: the rooms `user_id` belongs to, id -> quiet (a DM no one wrote in yet)."""
    with db.autocommit() as cursor:
        return {row["id"]: row["quiet"] for row in storage.rooms_of_member(cursor, user_id)}


def room_for_members(room_id, user_ids):
    """For the hub's user streams: the room's last seq as read, and {user id: the room as getRooms
    lists it to them} for those of `user_ids` still in it."""
    with db.autocommit() as cursor:
        rows = storage.room_for_members(cursor, room_id, user_ids)
    if not rows:
        return 0, {}
    online = _broker().online_counts([room_id])[room_id]
    return rows[0]["last_seq"], {row["user_id"]: _listed_room(row, online) for row in rows}


def do_open_direct_room(user, other_id):
    """The private room of `user` and `other_id`, opened now or before. A block either way stops
    it; a user who takes DMs only from people they follow refuses anyone else a new one."""
    if user["id"] == other_id:
        raise CannotMessageYourself()
    low, high = sorted((user["id"], other_id))
    with db.transaction() as cursor:
        other = storage.lock_direct_pair(cursor, user["id"], other_id)
        if other is None:
            raise UserNotFound()
        if other["blocked"]:
            raise Blocked()
        room = storage.find_direct_room(cursor, low, high)
        if room is None:
            if other["dms_from"] == "following" and not other["follows_me"]:
                raise DirectMessagesRefused()
            names = {user["id"]: user["username"], other_id: other["username"]}
            room = storage.insert_direct_room(cursor, low, high, f"{names[low]} & {names[high]}")
        # Back in it, if one of them had left; the other hears of it once someone writes in it.
        storage.insert_member(cursor, room["id"], user["id"])
        storage.insert_member(cursor, room["id"], other_id, quiet=True)
    return _public_room(room)


def do_mark_read(room_id, user_id, seq):
    """The member has read up to `seq`: their mark moves forward only, to the room's last seq at most."""
    with db.autocommit() as cursor:
        if storage.mark_read(cursor, room_id, user_id, seq) is None:
            member_room(cursor, room_id, user_id)  # which error: no such room, or not a member
            raise NotAMember()


def list_mentions(user_id, after_id, limit):
    with db.autocommit() as cursor:
        rows = storage.mentions_of(cursor, user_id, after_id, limit)
    mentions = [_message_in_room(row) for row in rows]
    return {"mentions": mentions, "next_after_id": mentions[-1]["id"] if mentions else after_id}


def _message_in_room(row):
    """A message found (a mention, a search result), with its room's name and its seq there."""
    return {
        "room_id": row["room_id"],
        "room_name": row["room_name"],
        "seq": row["seq"],
        "id": row["id"],
        "user": {"id": row["user_id"], "username": row["username"]} if row["user_id"] else DELETED_USER,
        "content": row["content"],
        "created_at": row["created_at"],
    }


def search_messages(user_id, query, room_id, author, before_id, limit):
    """The messages `user_id` may read whose current text matches `query`, newest first, with where
    the words are in each (highlights) and the id to ask the next page before (None at the end)."""
    with db.autocommit() as cursor:
        rows = storage.search_messages(cursor, user_id, query, room_id, author, before_id, limit)
    results = [{**_message_in_room(row), "highlights": highlights(query, row["content"])} for row in rows]
    return {"results": results, "next_before_id": results[-1]["id"] if len(results) == limit else None}


def list_clients(room_id, user_id):
    with db.transaction() as cursor:
        _visible_room(cursor, room_id, user_id)
    return _broker().clients(room_id)


def do_join_room(room_id, user_id):
    """Join a public room (a private one is joined only by its owner's invitation)."""
    with db.transaction() as cursor:
        room = _visible_room(cursor, room_id, user_id)
        if room["private"] and not room["is_member"]:
            raise RoomNotFound()
        storage.insert_member(cursor, room_id, user_id)
    return _public_room(room)


def do_add_member(room_id, owner_id, new_member_id):
    with db.transaction() as cursor:
        room = _owned_room(cursor, room_id, owner_id)
        if storage.blocked_between(cursor, owner_id, new_member_id):
            raise Blocked()  # or a blocked person could pull the one who blocked them into a room
        storage.insert_member(cursor, room_id, new_member_id)
    return _public_room(room)


def do_leave_room(room_id, user_id):
    with db.transaction() as cursor:
        _visible_room(cursor, room_id, user_id)
        if not storage.delete_member(cursor, room_id, user_id):
            raise NotAMember("You are not a member of this room.")
        # Closes the member's sockets in the room on every process, once this commits.
        storage.announce_membership_ended(cursor, room_id, user_id)


def do_rename_room(room_id, user_id, name):
    with db.transaction() as cursor:
        _owned_room(cursor, room_id, user_id)
        return _public_room(storage.rename_room(cursor, room_id, name))


def do_delete_room(room_id, user_id):
    with db.transaction() as cursor:
        _owned_room(cursor, room_id, user_id)
        storage.delete_room(cursor, room_id)
        storage.announce_membership_ended(cursor, room_id)


def open_room_socket(room_id, user_id):
    """Check that `user_id` may connect to the room, joining a public one. The room, with last_seq."""
    with db.transaction() as cursor:
        room = _visible_room(cursor, room_id, user_id)
        if not room["is_member"]:
            storage.insert_member(cursor, room_id, user_id)
    return room


def ended_sockets(sockets):
    """Of the (token id, user id, room id) of open sockets: the token ids revoked or whose user is
    gone, and the (room id, user id) memberships that ended."""
    with db.autocommit() as cursor:
        return storage.ended_sockets(cursor, sockets)


def current_last_seq(room_id):
    with db.autocommit() as cursor:
        room = storage.find_room_for(cursor, room_id, None)
    if room is None:
        raise RoomNotFound()
    return room["last_seq"]


# -- messages ------------------------------------------------------------------------------------


def check_rate(user_id):
    retry_after = current_app.extensions["parley_rate_limits"].take(user_id)
    if retry_after:
        raise RateLimited(retry_after, "You are sending messages too fast; slow down.")


@dataclass(frozen=True)
class Draft:
    """A message as a client sends it (over HTTP or the socket)."""

    content: str
    client_id: str | None
    reply_to: int | None = None  # any message of the room: the reply joins its thread
    attachment_ids: tuple[int, ...] = ()  # uploads of the sender's to the room


def do_send_message(room_id, user, draft):
    """Store the message with the room's next seq (with whatever else this process is storing at the
    same moment), then publish it. Returns (event, created): a repeated client_id gives the stored
    event and created False, and publishes nothing."""
    return sent_message(room_id, user, draft.client_id, submit_message(room_id, user, draft))


def submit_message(room_id, user, draft):
    """The first half of do_send_message: the sender's rate checked, the message queued to be
    stored, in the order of the calls. sent_message() waits for the outcome."""
    check_rate(user["id"])
    send = storage.Send(
        room_id,
        user["id"],
        draft.content,
        draft.client_id,
        tuple(mentioned_names(draft.content)),
        draft.reply_to,
        draft.attachment_ids,
    )
    return current_app.extensions["parley_committer"].submit(send)


def sent_message(room_id, user, client_id, submitted):
    """The second half of do_send_message: (event, created) once stored, or the error why not."""
    outcome, row = current_app.extensions["parley_committer"].outcome_of(submitted)
    if outcome == "stored":
        return event_from_row(row), True
    if outcome == "blocked":
        raise Blocked()
    with db.autocommit() as cursor:
        # A repeat is the stored message, even if what it answered is gone since.
        if outcome in ("repeated", "no_reply_target", "attachments_unavailable") and client_id is not None:
            sent = storage.find_sent_event(cursor, room_id, user["id"], client_id)
            if sent is not None:
                return event_from_row(sent), False
        if outcome == "no_reply_target":
            raise ReplyTargetNotFound()
        if outcome == "attachments_unavailable":
            raise AttachmentsUnavailable()
        member_room(cursor, room_id, user["id"])  # which error: no such room, or not a member
    raise NotAMember()  # joined and left again meanwhile


# A deadlock PostgreSQL broke by failing our statement: the batch is stored again, whole.
STORE_ATTEMPTS = 3


def store_batch(sends):
    """For the committer: store `sends` in one statement; their (outcome, row) in order."""
    attempt = 1
    while True:
        with db.autocommit() as cursor:
            try:
                return storage.store_messages(cursor, sends)
            except psycopg2.errors.TransactionRollbackError:
                if attempt == STORE_ATTEMPTS:
                    raise
        log.warning("a batch of %d messages met a deadlock; storing it again", len(sends))
        attempt += 1


def publish_stored(outcomes):
    """For the committer, after the commit: the stored messages' events, in seq order."""
    events = [event_from_row(row) for outcome, row in outcomes if outcome == "stored"]
    if events:
        _broker().publish(events)


def do_edit_message(room_id, user, message_id, content):
    return _change_message(room_id, user, message_id, content)


def do_delete_message(room_id, user, message_id):
    return _change_message(room_id, user, message_id, None)


def _change_message(room_id, user, message_id, new_content):
    """Edit a message (`new_content`) or delete it (None) as an event with the room's next seq,
    published after the commit. Its author may do either; the room's owner may also delete."""
    check_rate(user["id"])
    with db.transaction() as cursor:
        room = member_room(cursor, room_id, user["id"])
        seq = storage.take_next_seq(cursor, room_id)
        message = storage.find_message(cursor, room_id, message_id)
        if message is None:
            raise MessageNotFound()
        by_author = message["user_id"] == user["id"]
        if new_content is not None:
            if not by_author:
                raise NotTheAuthor()
            storage.edit_message(cursor, message_id, new_content)
            kind = "message_edited"
        else:
            if not by_author and room["owner_id"] != user["id"]:
                raise NotTheAuthor("Only its author or the room's owner may delete this message.")
            storage.delete_message(cursor, message_id)
            kind = "message_deleted"
        storage.insert_event(cursor, room_id, seq, kind, message_id, new_content)
        event = event_from_row(storage.event_at(cursor, room_id, seq))
    publish_event(event, by=user)
    return event


def read_events(room_id, user_id, after_seq, before_seq, limit):
    """The room's stored events, in seq order, with the room's last seq; each message with its
    reactions as they are now."""
    with db.transaction() as cursor:
        room = member_room(cursor, room_id, user_id)
        if before_seq is not None:
            rows = storage.events_between(cursor, room_id, after_seq or 0, before_seq, limit)
        else:
            rows = storage.events_after(cursor, room_id, after_seq or 0, limit)
        events = [event_from_row(row) for row in rows]
        messages = [event for event in events if event["type"] == "message"]
        _add_reactions(cursor, messages)
        _add_thread_summaries(cursor, messages)
    return {"events": events, "last_seq": room["last_seq"]}


def _add_reactions(cursor, messages):
    """Each message event's `reactions` as they are now."""
    by_id = {message["id"]: message for message in messages}
    for message in messages:
        message["reactions"] = []
    for row in storage.reactions_of(cursor, by_id):
        by_id[row["message_id"]]["reactions"].append(
            {"emoji": row["emoji"], "count": row["count"], "user_ids": row["user_ids"]}
        )


def _add_thread_summaries(cursor, messages):
    """Each root message event's `reply_count` and `last_reply_at` (a reply has neither)."""
    roots = {message["id"]: message for message in messages if message["reply_to"] is None}
    for root in roots.values():
        root["reply_count"], root["last_reply_at"] = 0, None
    for row in storage.thread_summaries(cursor, roots):
        roots[row["root_id"]]["reply_count"] = row["reply_count"]
        roots[row["root_id"]]["last_reply_at"] = row["last_reply_at"]


def list_replies(room_id, user_id, root_id, after_id, limit):
    """The replies to a message of the room, in order, with the id to ask the next page after."""
    with db.transaction() as cursor:
        member_room(cursor, room_id, user_id)
        if not storage.message_exists(cursor, room_id, root_id):
            raise MessageNotFound()
        replies = [event_from_row(row) for row in storage.replies_to(cursor, room_id, root_id, after_id, limit)]
        _add_reactions(cursor, replies)
    return {"replies": replies, "next_after_id": replies[-1]["id"] if len(replies) == limit else None}


class _Unchanged(Exception):
    """A reaction put twice, or taken off when it was not there: nothing to store."""


def do_react(room_id, user, message_id, emoji, adding):
    """Put `emoji` on the message (`adding`) or take it off, as a stored event with the room's next
    seq, published after the commit. Idempotent: the event, or None if nothing changed."""
    check_rate(user["id"])
    try:
        with db.transaction() as cursor:
            room = member_room(cursor, room_id, user["id"])
            if room["kind"] == "dm" and storage.dm_blocked(cursor, room_id):
                raise Blocked()
            # The room's row, locked to the commit: its reactions change one at a time, so the
            # count of distinct emoji holds.
            seq = storage.take_next_seq(cursor, room_id)
            if storage.find_message(cursor, room_id, message_id) is None:
                raise MessageNotFound()
            if adding:
                changed = storage.add_reaction(cursor, message_id, user["id"], emoji)
                if changed is None:
                    raise TooManyReactions()
            else:
                changed = storage.remove_reaction(cursor, message_id, user["id"], emoji)
            if not changed:
                raise _Unchanged()  # rolled back: the seq taken is given back
            kind = "reaction_added" if adding else "reaction_removed"
            storage.insert_event(cursor, room_id, seq, kind, message_id, user_id=user["id"], emoji=emoji)
            event = event_from_row(storage.event_at(cursor, room_id, seq))
    except _Unchanged:
        return None
    publish_event(event, by=user)
    return event


LONG_POLLS_WAITING = Gauge("parley_long_polls_waiting", "HTTP long-polls waiting now for their room's next event")


def wait_for_events(room_id, user_id, after_seq, limit, wait_seconds):
    """The events after `after_seq`; if there are none yet, wait up to `wait_seconds` for one.
    The hub wakes the wait: nothing polls the database in a loop."""
    hub, broker = _hub(), _broker()
    # Both before the read, so that an event committed after it still wakes us.
    broker.follow(room_id)
    waiter = hub.waiter(room_id)
    try:
        page = read_events(room_id, user_id, after_seq, None, limit)
        if page["events"] or not wait_seconds:
            return page
        with LONG_POLLS_WAITING.track_inprogress():
            waiter.wait(timeout=wait_seconds)
        return read_events(room_id, user_id, after_seq, None, limit)
    finally:
        hub.forget_waiter(room_id, waiter)
        broker.unfollow(room_id)


def fetch_events_after(room_id, after_seq, limit):
    """For the hub and the writers: the stored events after `after_seq`, with no access check."""
    with db.autocommit() as cursor:
        return [event_from_row(row) for row in storage.events_after(cursor, room_id, after_seq, limit)]
