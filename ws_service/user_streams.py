"""Each user's own event stream (`GET /ws/events`): what their room list needs, from every room they
belong to, so that no client polls.

A stream follows the rooms of its user: the hub's broadcast of a stored event looks up the
streams following that room (one lookup, whatever else they follow) and hands each an `activity`
frame built once per room event (twice where someone is mentioned). Rooms come and go through the
database's notifications, heard by every process (ws_service/database_events.py): joined, added,
renamed, left, deleted. The room shapes of `room_added` and `room_updated` carry what that user has
read, so they are read from the database in a greenlet of their own and handed back to the hub.

Each room a stream follows is in one of four states:
- LIVE: announced (in the room list the client read, or by a room_added); its activity goes out.
- QUIET: a DM someone opened with this user, announced once the other writes in it.
- CHECKING: a DM just opened by the other: did they write before this process followed the room?
- ANNOUNCING: its room_added is being read. Its activity waits meanwhile, and goes out after the
  room_added only if newer than the room as read (the room's unread count holds the rest): the
  client's count is then exact, and it never hears of a room's activity before the room.

`UserStreams` is the hub's: only the hub's greenlet calls it, as it alone touches its own maps.
Each method that writes to streams returns those it had to close (too slow, or a room that could
not be read), for the hub to forget.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gevent

from ws_service.connection import Connection
from ws_service.events import mentioned_names
from ws_service.frames import EventDict, text_frame

log = logging.getLogger(__name__)

# (room_id, user ids) -> (the room's last seq as read, {user id: the room as getRooms lists it to
# them}) for the members among them.
FetchRooms = Callable[[int, list[int]], tuple[int, dict[int, dict[str, Any]]]]
RoomFollower = Any  # the hub's InMemoryBroker or RedisBroker: rooms followed, and let go, without waiting

LIVE, QUIET, CHECKING, ANNOUNCING = "live", "quiet", "checking", "announcing"
TOO_SLOW = (1013, "Too slow to keep up: reconnect, and read the room list again")


@dataclass(frozen=True)
class Held:
    """An activity frame waiting for its room's room_added."""

    seq: int
    frame: bytes
    written_by_other: bool  # a message from someone else: in a quiet DM, what announces it


class UserStream(Connection):
    """One user's event stream: a Connection in no room, whose frames carry no seq."""

    def __init__(self, ws: Any, user: dict[str, Any], token_claims: dict[str, Any], **options: Any) -> None:
        super().__init__(ws, None, user, token_claims, fetch_events=_no_backlog, **options)
        # room_id -> state; None until the hub has them, the changes heard meanwhile waiting in
        # `changes_before_rooms`.
        self.rooms: dict[int, str] | None = None
        self.changes_before_rooms: list[tuple[str, tuple[Any, ...]]] = []
        self.held: dict[int, list[Held]] = {}  # room_id -> activity waiting, while CHECKING or ANNOUNCING

    def end_session(self, code: str, message: str) -> None:
        self.send_event({"type": "session_ended", "code": code})
        self.finish(1008, message[:100])

    def hold(self, room_id: int, held: Held) -> bool:
        """Keep an activity until its room is announced; False if too much waits."""
        waiting = self.held.setdefault(room_id, [])
        waiting.append(held)
        return len(waiting) <= self._outbox_size  # as much as its outbox takes


def _no_backlog(room_id: int, after_seq: int, limit: int) -> list[EventDict]:
    raise AssertionError("a user stream has no seq, and so never a backlog")


class UserStreams:
    def __init__(self, fetch_rooms: FetchRooms, hand_back: Callable[[tuple[str, Any]], None]) -> None:
        self._fetch_rooms = fetch_rooms
        self._hand_back = hand_back  # puts an item into the hub's inbox
        self._broker: RoomFollower = None
        self._by_user: defaultdict[int, set[UserStream]] = defaultdict(set)
        self._by_room: defaultdict[int, set[UserStream]] = defaultdict(set)

    def start(self, broker: RoomFollower) -> None:
        self._broker = broker

    def __iter__(self) -> Iterator[UserStream]:
        for streams in list(self._by_user.values()):
            yield from list(streams)

    # -- a stream's life -----------------------------------------------------------------------

    def add(self, stream: UserStream) -> None:
        self._by_user[stream.user["id"]].add(stream)

    def set_rooms(self, stream: UserStream, quiet_by_room: dict[int, bool]) -> list[UserStream]:
        """The rooms the stream's user belonged to when it connected (room_id -> a quiet DM); then
        the changes heard since."""
        if stream not in self._by_user.get(stream.user["id"], ()):
            return []  # gone already
        stream.rooms = {}
        self._follow(stream, {room_id: QUIET if quiet else LIVE for room_id, quiet in quiet_by_room.items()})
        changes, stream.changes_before_rooms = stream.changes_before_rooms, []
        closed: list[UserStream] = []
        for change, args in changes:
            closed += getattr(self, change)(*args, only=stream) or []
        return closed

    def remove(self, stream: UserStream) -> bool:
        """Forget the stream; False if it was not here."""
        streams = self._by_user.get(stream.user["id"])
        if streams is None or stream not in streams:
            return False
        streams.discard(stream)
        if not streams:
            del self._by_user[stream.user["id"]]
        if stream.rooms:
            self._unfollow(stream, list(stream.rooms))
        stream.rooms = None
        return True

    def _follow(self, stream: UserStream, states: dict[int, str]) -> None:
        assert stream.rooms is not None, "a stream follows rooms once it has them"
        new = [room_id for room_id in states if room_id not in stream.rooms]
        stream.rooms.update(states)
        for room_id in new:
            self._by_room[room_id].add(stream)
        if new:
            self._broker.follow_soon(new)

    def _unfollow(self, stream: UserStream, room_ids: list[int]) -> None:
        assert stream.rooms is not None, "a stream lets rooms go only once it has them"
        for room_id in room_ids:
            del stream.rooms[room_id]
            stream.held.pop(room_id, None)
            followers = self._by_room[room_id]
            followers.discard(stream)
            if not followers:
                del self._by_room[room_id]
        self._broker.unfollow_rooms(room_ids)

    # -- what the hub hears ----------------------------------------------------------------------

    def activity(self, event: EventDict, by: dict[str, Any] | None) -> list[UserStream]:
        """A stored room event, to the streams following its room."""
        room_id = event["room_id"]
        streams = self._by_room.get(room_id)
        if not streams:
            return []
        kind = event["type"]
        sender = event.get("user") or by or {"id": None, "username": None}
        frame = {
            "type": "activity",
            "room_id": room_id,
            "seq": event["seq"],
            "kind": kind,
            "from": {"id": sender["id"], "username": sender["username"]},
            "mention": False,
        }
        plain = text_frame(frame)
        mentioned = mentioned_names(event["content"]) if kind == "message" else []
        mentioning = text_frame({**frame, "mention": True}) if mentioned else plain
        closed, announce = [], []
        for stream in list(streams):
            assert stream.rooms is not None, "a stream follows a room only once it has its rooms"
            state, own = stream.rooms[room_id], sender["id"] == stream.user["id"]
            named = not own and stream.user["username"].lower() in mentioned
            if state == LIVE:
                if not stream.deliver(mentioning if named else plain, None):
                    closed.append(_closed(stream, *TOO_SLOW))
                continue
            written_by_other = kind == "message" and not own
            if state == QUIET:
                if not written_by_other:
                    continue
                stream.rooms[room_id] = ANNOUNCING
                announce.append(stream.user["id"])
            if not stream.hold(room_id, Held(event["seq"], mentioning if named else plain, written_by_other)):
                closed.append(_closed(stream, *TOO_SLOW))
        if announce:
            self._read_rooms(room_id, announce, "room_added")
        return closed

    def room_added(self, room_id: int, user_id: int, quiet: bool, only: UserStream | None = None) -> None:
        """`user_id` is in the room now: joined, added, or (quiet) someone opened a DM with them."""
        read = False
        for stream in [only] if only else list(self._by_user.get(user_id, ())):
            if stream.rooms is None:
                stream.changes_before_rooms.append(("room_added", (room_id, user_id, quiet)))
                continue
            state = stream.rooms.get(room_id)
            # Announced already, or being so (a notice can come after the room list that holds it).
            if state in (LIVE, ANNOUNCING) or (quiet and state == CHECKING):
                continue
            self._follow(stream, {room_id: CHECKING if quiet else ANNOUNCING})
            read = True
        if read:
            self._read_rooms(room_id, [user_id], "room_added")

    def room_updated(self, room_id: int, only: UserStream | None = None) -> None:
        """Renamed: every stream that has announced the room hears its new shape."""
        if only is not None:
            return  # set_rooms read the room list after the change
        users = {stream.user["id"] for stream in self._by_room.get(room_id, ()) if _state(stream, room_id) == LIVE}
        if users:
            self._read_rooms(room_id, sorted(users), "room_updated")

    def room_removed(self, room_id: int, user_id: int | None, only: UserStream | None = None) -> list[UserStream]:
        """`user_id` left the room, or (None) the room is gone."""
        if only is not None:
            streams = [only]
        elif user_id is None:
            streams = list(self._by_room.get(room_id, ()))
        else:
            streams = list(self._by_user.get(user_id, ()))
        frame = text_frame({"type": "room_removed", "room_id": room_id})
        closed = []
        for stream in streams:
            if stream.rooms is None:
                stream.changes_before_rooms.append(("room_removed", (room_id, user_id)))
                continue
            if room_id not in stream.rooms:
                continue
            self._unfollow(stream, [room_id])
            # Said even of a room never announced here: the client may have it from getRooms.
            if not stream.deliver(frame, None):
                closed.append(_closed(stream, *TOO_SLOW))
        return closed

    def rooms_read(
        self, room_id: int, frame_type: str, read: tuple[int, dict[int, dict[str, Any]]] | None, user_ids: list[int]
    ) -> list[UserStream]:
        """What a greenlet read for a room_added or room_updated (None: it could not), to the
        streams of `user_ids` still following the room."""
        closed = []
        for stream in list(self._by_room.get(room_id, ())):
            state = _state(stream, room_id)
            if stream.user["id"] not in user_ids:
                continue
            if frame_type == "room_updated":
                room = read[1].get(stream.user["id"]) if read is not None and state == LIVE else None
                if room is not None and not stream.deliver(text_frame({"type": "room_updated", "room": room}), None):
                    closed.append(_closed(stream, *TOO_SLOW))
                continue
            if state not in (CHECKING, ANNOUNCING):
                continue
            if read is None:
                closed.append(_closed(stream, 1011, "Could not read the room list: reconnect"))
                continue
            last_seq, rooms = read
            if stream.user["id"] not in rooms:
                continue  # no longer a member: its room_removed is on its way
            newer = [held for held in stream.held.pop(room_id, ()) if held.seq > last_seq]
            assert stream.rooms is not None, "a stream in a room's state has its rooms"
            written = rooms[stream.user["id"]]["unread"] or any(held.written_by_other for held in newer)
            if state == CHECKING and not written:
                stream.rooms[room_id] = QUIET  # nobody has written in it yet
                continue
            stream.rooms[room_id] = LIVE
            added = text_frame({"type": "room_added", "room": rooms[stream.user["id"]]})
            if not all(stream.deliver(frame, None) for frame in [added, *(held.frame for held in newer)]):
                closed.append(_closed(stream, *TOO_SLOW))
        return closed

    def _read_rooms(self, room_id: int, user_ids: list[int], frame_type: str) -> None:
        gevent.spawn(self._read_and_hand_back, room_id, user_ids, frame_type)

    def _read_and_hand_back(self, room_id: int, user_ids: list[int], frame_type: str) -> None:
        """In a greenlet of its own: the hub never waits on the database, nor on Redis. Read once
        the room is followed: what is said in it after that comes as activity."""
        self._broker.wait_following([room_id])
        try:
            read = self._fetch_rooms(room_id, user_ids)
        except Exception:
            log.exception("could not read room %s for %d user stream(s)", room_id, len(user_ids))
            read = None
        self._hand_back(("rooms_read", (room_id, frame_type, read, user_ids)))


def _state(stream: UserStream, room_id: int) -> str | None:
    return stream.rooms.get(room_id) if stream.rooms is not None else None


def _closed(stream: UserStream, code: int, reason: str) -> UserStream:
    stream.close(code, reason)
    return stream
