"""The hub: one greenlet per process that owns which connections are in which room, and which
user event streams follow which rooms (ws_service/user_streams.py).

Its only doors are three channels, register, unregister and broadcast, carried by one queue so
that the hub sees them in the order they were sent (a connection registered before an event was
published is there to receive it). Nothing else reads or changes its maps; the people connected
to each room are published as immutable snapshots for readers.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent
import gevent.event
from gevent.event import AsyncResult
from gevent.queue import Queue

from shared.background import BackgroundLoops
from ws_service import stages
from ws_service.events import FetchEvents, presence_event
from ws_service.frames import EventDict, text_frame
from ws_service.user_streams import FetchRooms, UserStream, UserStreams

if TYPE_CHECKING:
    from ws_service.broker import InMemoryBroker, RedisBroker
    from ws_service.connection import Connection

# [(token id, user id, room id, or None for a user stream)] of open sockets -> (the token ids no
# longer valid (revoked, or their user deleted), the (room id, user id) memberships that ended).
FindEndedSockets = Callable[[list[tuple[str, int, int | None]]], tuple[set[str], set[tuple[int, int]]]]

log = logging.getLogger(__name__)

# How long an event may wait for the seq before it (published a moment later by another
# greenlet or process) before the hub reads the missing ones from the database.
GAP_WAIT_SECONDS = 0.25
# How often, by default, sockets whose token has expired, been revoked (logout) or lost its user
# (account deleted), or whose membership ended, are looked for: a backstop, since each of those
# closes its sockets at once (see end_sessions, _on_expire and shared/database_events.py).
SWEEP_SECONDS = 5.0
# Stored events the hub holds back at most while more wait in its inbox, to hand each socket a
# room's run of them in one write (see _flush_ready); at low load each goes out alone, at once.
MAX_READY_EVENTS = 256
# How often, by default, every socket's heartbeat is looked at (Connection.heartbeat): pings go out
# within this of when they are due.
HEARTBEAT_SECONDS = 1.0


@dataclass
class RoomState:
    connections: "set[Connection]" = field(default_factory=set)
    sockets_by_user: dict[int, int] = field(default_factory=dict)  # user_id -> how many of `connections` are theirs
    last_seq: int | None = None
    pending: dict[int, EventDict] = field(default_factory=dict)  # seq -> event, waiting for a gap to close
    gap_fill: gevent.Greenlet | None = None


class RoomHub:
    def __init__(
        self,
        fetch_events: FetchEvents,
        max_connections_per_user: int,
        find_ended_sockets: FindEndedSockets,
        fetch_rooms: FetchRooms,
        sweep_seconds: float = SWEEP_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        self._sweep_seconds = sweep_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self._fetch_events = fetch_events  # (room_id, after_seq, limit) -> [event], from the database
        self._find_ended_sockets = find_ended_sockets
        self._max_per_user = max_connections_per_user
        self._inbox: Queue = Queue()  # (kind, payload), handled in order by _run()
        self._rooms: dict[int, RoomState] = {}
        self._streams = UserStreams(fetch_rooms, self._inbox.put)
        self._per_user: defaultdict[int, int] = defaultdict(int)
        self._waiters: defaultdict[int, set[gevent.event.Event]] = defaultdict(set)
        self._presence: dict[int, tuple[dict[str, Any], ...]] = {}
        # room_id -> stored events due to its sockets, in seq order, held while the inbox has more.
        self._ready: dict[int, list[EventDict]] = {}
        self._ready_count = 0
        self._broker: InMemoryBroker | RedisBroker | None = None
        # The earliest token expiry among the connections, and the timer set for it.
        self._next_expiry = float("inf")
        self._expiry_timer: gevent.Greenlet | None = None

    def start(self, broker: "InMemoryBroker | RedisBroker", loops: BackgroundLoops) -> None:
        """Run the hub; `broker` hears of presence changes, for the other processes."""
        self._broker = broker
        self._streams.start(broker)
        loops.spawn("hub", self._run)
        loops.spawn("hub sweep", self._sweep_now_and_then)
        loops.spawn("hub heartbeat", self._beat_now_and_then)

    # -- the channels ---------------------------------------------------------------------------

    def register(self, connection: "Connection") -> AsyncResult:
        """Add a connection to its room. Returns an AsyncResult: True once it receives the room's
        events, False if its user already has as many connections as allowed."""
        accepted = AsyncResult()
        self._inbox.put(("register", (connection, accepted)))
        return accepted

    def unregister(self, connection: "Connection") -> None:
        self._inbox.put(("unregister", connection))

    def broadcast(self, event: EventDict, by: dict[str, Any] | None = None) -> None:
        """Deliver a room event to every connection in its room, in seq order for stored ones, and
        its activity to the user streams following the room (`by`: who edited or deleted)."""
        self._inbox.put(("broadcast", (event, time.perf_counter(), by)))

    def register_stream(self, stream: UserStream) -> AsyncResult:
        """Add a user event stream, as register() does a connection; its rooms come next."""
        accepted = AsyncResult()
        self._inbox.put(("register_stream", (stream, accepted)))
        return accepted

    def stream_rooms(self, stream: UserStream, rooms: dict[int, bool]) -> AsyncResult:
        """The rooms (id -> quiet) its user belonged to, read after register_stream(); set once
        the hub follows them."""
        followed = AsyncResult()
        self._inbox.put(("stream_rooms", (stream, rooms, followed)))
        return followed

    def unregister_stream(self, stream: UserStream) -> None:
        self._inbox.put(("unregister_stream", stream))

    def room_added(self, room_id: int, user_id: int, quiet: bool) -> None:
        """`user_id` belongs to the room now (quiet: a DM no one has written in for them yet)."""
        self._inbox.put(("room_added", (room_id, user_id, quiet)))

    def room_updated(self, room_id: int) -> None:
        self._inbox.put(("room_updated", room_id))

    # -- requests carried on the same queue -----------------------------------------------------

    def close_room(self, room_id: int, code: int, reason: str, user_id: int | None = None) -> None:
        """Close the room's connections (only `user_id`'s, if given) with `code`."""
        self._inbox.put(("close_room", (room_id, user_id, code, reason)))

    def room_removed(self, room_id: int, user_id: int | None) -> None:
        """`user_id` left the room, or (None) it was deleted: their sockets in it close (1000) and
        their streams hear it."""
        self._inbox.put(("room_removed", (room_id, user_id)))

    def resync(self, room_ids: Iterable[int]) -> None:
        """Read what the rooms may have missed (a broker outage) from the database."""
        self._inbox.put(("resync", room_ids))

    def check_sessions(self) -> None:
        """Close the sockets whose token has expired, been revoked or lost its user, or whose user is
        no longer a member of the room."""
        self._inbox.put(("check_sessions", None))

    def end_sessions(self, token_ids: set[str], user_ids: set[int]) -> None:
        """Close now the sockets opened with these tokens (revoked), or by these users (deleted)."""
        self._inbox.put(("sessions_ended", (token_ids, user_ids)))

    def shut_down(self, code: int = 1001, reason: str = "The server is going away") -> None:
        self._inbox.put(("shut_down", (code, reason)))

    def waiter(self, room_id: int) -> gevent.event.Event:
        """An EventDict set when the room's next stored event is broadcast (the HTTP long-poll)."""
        event = gevent.event.Event()
        self._inbox.put(("wait", (room_id, event)))
        return event

    def forget_waiter(self, room_id: int, event: gevent.event.Event) -> None:
        self._inbox.put(("unwait", (room_id, event)))

    def barrier(self) -> AsyncResult:
        """Set once the hub has handled everything put in its inbox before this call: what a test
        waits for instead of sleeping."""
        reached = AsyncResult()
        self._inbox.put(("barrier", reached))
        return reached

    def clients(self, room_id: int) -> tuple[dict[str, Any], ...]:
        """Who is connected to the room now: a snapshot, one entry per user."""
        return self._presence.get(room_id, ())

    def _sweep_now_and_then(self) -> None:
        while True:
            gevent.sleep(self._sweep_seconds)
            self.check_sessions()

    def _beat_now_and_then(self) -> None:
        while True:
            gevent.sleep(self._heartbeat_seconds)
            self._inbox.put(("heartbeat", None))

    # -- the hub's own greenlet -----------------------------------------------------------------

    def _run(self) -> None:
        handlers: dict[str, Callable[[Any], None]] = {
            "barrier": self._on_barrier,
            "register": self._on_register,
            "unregister": self._on_unregister,
            "broadcast": self._on_broadcast,
            "close_room": self._on_close_room,
            "shut_down": self._on_shut_down,
            "wait": self._on_wait,
            "unwait": self._on_unwait,
            "gap_filled": self._on_gap_filled,
            "resync": self._on_resync,
            "caught_up": self._on_caught_up,
            "check_sessions": self._on_check_sessions,
            "heartbeat": self._on_heartbeat,
            "sessions_ended": self._on_sessions_ended,
            "expire": self._on_expire,
            "register_stream": self._on_register_stream,
            "stream_rooms": self._on_stream_rooms,
            "unregister_stream": self._on_unregister_stream,
            "room_added": lambda args: self._streams.room_added(*args),
            "room_updated": self._streams.room_updated,
            "room_removed": self._on_room_removed,
            "rooms_read": lambda args: self._forget_streams(self._streams.rooms_read(*args)),
        }
        for kind, payload in self._inbox:
            # Whatever reaches a socket after a stored event (a presence change, a close) goes
            # after it, as it would have without holding it back.
            if self._ready and not (kind == "broadcast" and "seq" in payload[0]):
                self._flush_ready()
            try:
                handlers[kind](payload)
            except Exception:
                # One bad event must not stop every room of the process.
                log.exception("hub failed on %s", kind)
            if self._ready and (not self._inbox.qsize() or self._ready_count >= MAX_READY_EVENTS):
                self._flush_ready()

    @staticmethod
    def _on_barrier(reached: AsyncResult) -> None:
        reached.set(True)

    def _take_connection_slot(self, connection: "Connection") -> bool:
        """Count a socket (in a room, or a stream) against its user's limit; False past it."""
        user_id = connection.user["id"]
        if self._per_user[user_id] >= self._max_per_user:
            return False
        self._per_user[user_id] += 1
        self._expire_at(connection.token_expires_at)
        return True

    def _free_connection_slot(self, connection: "Connection") -> None:
        user_id = connection.user["id"]
        self._per_user[user_id] -= 1
        if self._per_user[user_id] <= 0:
            del self._per_user[user_id]

    def _on_register(self, payload: tuple["Connection", AsyncResult]) -> None:
        connection, accepted = payload
        user_id = connection.user["id"]
        if not self._take_connection_slot(connection):
            accepted.set(False)
            return
        assert connection.room_id is not None, "a connection in a room, not a user stream"
        room = self._rooms.setdefault(connection.room_id, RoomState())
        room.connections.add(connection)
        room.sockets_by_user[user_id] = room.sockets_by_user.get(user_id, 0) + 1
        accepted.set(True)
        if room.sockets_by_user[user_id] == 1:
            join = presence_event("join", connection.room_id, connection.user)
            self._deliver_ephemeral(room, join, skip=connection)
            self._publish_presence(connection.room_id, room, join)

    def _on_unregister(self, connection: "Connection") -> None:
        assert connection.room_id is not None, "a connection in a room, not a user stream"
        room = self._rooms.get(connection.room_id)
        if room is None or connection not in room.connections:
            return
        room.connections.discard(connection)
        user_id = connection.user["id"]
        self._free_connection_slot(connection)
        room.sockets_by_user[user_id] -= 1
        if room.sockets_by_user[user_id] == 0:
            del room.sockets_by_user[user_id]
            leave = presence_event("leave", connection.room_id, connection.user)
            self._deliver_ephemeral(room, leave)
            self._publish_presence(connection.room_id, room, leave)
        if not room.connections:
            if room.gap_fill is not None:
                room.gap_fill.kill(block=False)
            del self._rooms[connection.room_id]

    def _on_broadcast(self, payload: tuple[EventDict, float, dict[str, Any] | None]) -> None:
        event, sent_at, by = payload
        stages.HUB.observe(time.perf_counter() - sent_at)
        room_id = event["room_id"]
        room = self._rooms.get(room_id)
        if "seq" not in event:
            if room is not None:
                # Typing goes to everyone else; their own other sockets know they are typing.
                typist = event["user"]["id"] if event["type"] == "typing" else None
                self._deliver_ephemeral(room, event, skip_user=typist)
            return
        self._forget_streams(self._streams.activity(event, by))
        for waiter in self._waiters.pop(room_id, ()):
            waiter.set()
        if room is None:
            return
        seq = event["seq"]
        if room.last_seq is not None and seq <= room.last_seq:
            return  # already delivered
        room.pending[seq] = event
        self._deliver_in_order(room_id, room)

    def _deliver_in_order(self, room_id: int, room: RoomState) -> None:
        while room.pending:
            next_seq = min(room.pending)
            if room.last_seq is not None and next_seq != room.last_seq + 1:
                if room.gap_fill is None:
                    room.gap_fill = gevent.spawn_later(
                        GAP_WAIT_SECONDS, self._fill_gap, room_id, room.last_seq, next_seq
                    )
                return
            event = room.pending.pop(next_seq)
            room.last_seq = next_seq
            self._ready.setdefault(room_id, []).append(event)
            self._ready_count += 1
        if room.gap_fill is not None:
            room.gap_fill.kill(block=False)
            room.gap_fill = None

    def _fill_gap(self, room_id: int, after_seq: int, before_seq: int) -> None:
        """Runs in its own greenlet: reads what was never published and hands it to the hub."""
        try:
            missing = [
                event
                for event in self._fetch_events(room_id, after_seq, before_seq - after_seq - 1)
                if event["seq"] < before_seq
            ]
        except Exception:
            log.exception("could not read the events of room %s after %s", room_id, after_seq)
            missing = []
        self._inbox.put(("gap_filled", (room_id, after_seq, before_seq, missing)))

    def _on_gap_filled(self, payload: tuple[int, int, int, list[EventDict]]) -> None:
        room_id, after_seq, _before_seq, missing = payload
        room = self._rooms.get(room_id)
        if room is None:
            return
        room.gap_fill = None
        for event in missing:
            if room.last_seq is None or event["seq"] > room.last_seq:
                room.pending.setdefault(event["seq"], event)
        if room.last_seq == after_seq and after_seq + 1 not in room.pending and room.pending:
            # The database does not have them either: move on rather than stall the room.
            room.last_seq = min(room.pending) - 1
        self._deliver_in_order(room_id, room)

    def _on_resync(self, room_ids: Iterable[int]) -> None:
        for room_id in room_ids:
            room = self._rooms.get(room_id)
            if room is not None and room.last_seq is not None:
                gevent.spawn(self._catch_up, room_id, room.last_seq)

    def _catch_up(self, room_id: int, after_seq: int) -> None:
        try:
            events = self._fetch_events(room_id, after_seq, 10_000)
        except Exception:
            log.exception("could not catch room %s up after %s", room_id, after_seq)
            return
        self._inbox.put(("caught_up", (room_id, events)))

    def _on_caught_up(self, payload: tuple[int, list[EventDict]]) -> None:
        room_id, events = payload
        room = self._rooms.get(room_id)
        if room is None:
            return
        for event in events:
            if room.last_seq is None or event["seq"] > room.last_seq:
                room.pending.setdefault(event["seq"], event)
        self._deliver_in_order(room_id, room)

    def _flush_ready(self) -> None:
        """Hand each room's held stored events to its sockets: a run of them in one write to each
        socket that is keeping up, so a busy room costs a system call per socket per run rather
        than per event."""
        ready, self._ready, self._ready_count = self._ready, {}, 0
        for room_id, events in ready.items():
            room = self._rooms.get(room_id)
            if room is None:
                continue
            try:
                self._hand_over(room, events)
            except Exception:
                log.exception("hub failed handing room %s its events", room_id)

    def _hand_over(self, room: RoomState, events: list[EventDict]) -> None:
        """A room's run of stored events (consecutive seqs) to each of its sockets."""
        started = time.perf_counter()
        frames = [text_frame(event) for event in events]  # once per event, not once per receiver
        first_seq = events[0]["seq"]
        if len(frames) == 1:
            for connection in list(room.connections):
                if not connection.deliver(frames[0], first_seq):
                    self._drop_slow(room, connection)
        else:
            joined = b"".join(frames)
            for connection in list(room.connections):
                if not connection.deliver_run(frames, joined, first_seq):
                    self._drop_slow(room, connection)
        stages.HANDED.observe(time.perf_counter() - started)

    def _deliver_ephemeral(
        self, room: RoomState, event: EventDict, skip: "Connection | None" = None, skip_user: int | None = None
    ) -> None:
        frame = text_frame(event)
        for connection in list(room.connections):
            if connection is skip or connection.user["id"] == skip_user:
                continue
            if not connection.deliver(frame, None):
                self._drop_slow(room, connection)

    def _drop_slow(self, room: RoomState, connection: "Connection") -> None:
        connection.close(1013, "Too slow to keep up: reconnect with after= to catch up")
        self._on_unregister(connection)

    # -- user event streams ----------------------------------------------------------------------

    def _on_register_stream(self, payload: tuple[UserStream, AsyncResult]) -> None:
        stream, accepted = payload
        if not self._take_connection_slot(stream):
            accepted.set(False)
            return
        self._streams.add(stream)
        accepted.set(True)

    def _on_stream_rooms(self, payload: tuple[UserStream, dict[int, bool], AsyncResult]) -> None:
        stream, rooms, followed = payload
        self._forget_streams(self._streams.set_rooms(stream, rooms))
        followed.set(list(stream.rooms or ()))

    def _on_unregister_stream(self, stream: UserStream) -> None:
        if self._streams.remove(stream):
            self._free_connection_slot(stream)

    def _on_room_removed(self, payload: tuple[int, int | None]) -> None:
        room_id, user_id = payload
        reason = "You left the room" if user_id is not None else "The room was deleted"
        self._on_close_room((room_id, user_id, 1000, reason))
        self._forget_streams(self._streams.room_removed(room_id, user_id))

    def _forget_streams(self, streams: list[UserStream]) -> None:
        """Streams the book closed (too slow, or a room it could not read)."""
        for stream in streams:
            self._on_unregister_stream(stream)

    def _all_connections(self) -> Iterator["Connection"]:
        """Every socket: in rooms, and the user streams."""
        for room in self._rooms.values():
            yield from list(room.connections)
        yield from self._streams

    def _publish_presence(self, room_id: int, room: RoomState, event: EventDict) -> None:
        users = {c.user["id"]: {"id": c.user["id"], "username": c.user["username"]} for c in room.connections}
        if users:
            self._presence[room_id] = tuple(users[user_id] for user_id in sorted(users))
        else:
            self._presence.pop(room_id, None)
        assert self._broker is not None, "start() hands the hub its broker before anything reaches the hub"
        self._broker.presence_changed(room_id, self._presence.get(room_id, ()), event)

    def _on_close_room(self, payload: tuple[int, int | None, int, str]) -> None:
        room_id, user_id, code, reason = payload
        room = self._rooms.get(room_id)
        for connection in list(room.connections if room else ()):
            if user_id is None or connection.user["id"] == user_id:
                connection.finish(code, reason)

    def _on_shut_down(self, payload: tuple[int, str]) -> None:
        code, reason = payload
        for connection in self._all_connections():
            connection.finish(code, reason)

    def _on_heartbeat(self, _: None) -> None:
        now = time.monotonic()
        for connection in self._all_connections():
            connection.heartbeat(now)

    def _end_expired(self) -> list["Connection"]:
        """Close the sockets whose token has expired; the others, still live."""
        now, alive = time.time(), []
        for connection in self._all_connections():
            if connection.token_expires_at <= now:
                connection.end_session("token_expired", "The access token has expired; log in again.")
            else:
                alive.append(connection)
        return alive

    def _on_check_sessions(self, _: None) -> None:
        sockets = {(c.token_id, c.user["id"], c.room_id) for c in self._end_expired()}
        if sockets:
            gevent.spawn(self._find_ended, list(sockets))

    def _find_ended(self, sockets: list[tuple[str, int, int | None]]) -> None:
        """Runs in its own greenlet, so that the hub never waits on the database."""
        try:
            ended, memberships_ended = self._find_ended_sockets(sockets)
        except Exception:
            log.exception("could not check %d sockets; next sweep tries again", len(sockets))
            return
        if ended:
            self.end_sessions(ended, set())
        for room_id, user_id in memberships_ended:
            self.close_room(room_id, 1000, "You are no longer a member of this room", user_id=user_id)

    def _on_sessions_ended(self, payload: tuple[set[str], set[int]]) -> None:
        token_ids, user_ids = payload
        for connection in self._all_connections():
            if connection.token_id in token_ids or connection.user["id"] in user_ids:
                connection.end_session("token_revoked", "The access token has been revoked; log in again.")

    def _expire_at(self, expires_at: float) -> None:
        """Have the hub look for expired tokens at `expires_at`, unless it will sooner: one timer
        for the whole process, however many sockets it holds."""
        if expires_at >= self._next_expiry:
            return
        if self._expiry_timer is not None:
            self._expiry_timer.kill(block=False)
        self._next_expiry = expires_at
        self._expiry_timer = gevent.spawn_later(max(0.0, expires_at - time.time()), self._inbox.put, ("expire", None))

    def _on_expire(self, _: None) -> None:
        self._next_expiry, self._expiry_timer = float("inf"), None
        alive = self._end_expired()
        if alive:
            self._expire_at(min(connection.token_expires_at for connection in alive))

    def _on_wait(self, payload: tuple[int, gevent.event.Event]) -> None:
        room_id, event = payload
        self._waiters[room_id].add(event)

    def _on_unwait(self, payload: tuple[int, gevent.event.Event]) -> None:
        room_id, event = payload
        waiters = self._waiters.get(room_id)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[room_id]
