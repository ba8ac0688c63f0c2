"""How room events travel between ws_service processes.

`InMemoryBroker`: one process; events go straight to its hub. `RedisBroker` (REDIS_URL): every
event is published on the room's channel, and each process delivers what arrives on the channels
of the rooms it has sockets in, to its own hub. It never publishes what it receives. Presence lives
in Redis with an expiry, so a process that dies leaves no ghosts for longer than that.

With REDIS_CLUSTER, REDIS_URL names any node of a Redis Cluster: a room's events travel over sharded
pub/sub (SPUBLISH, SSUBSCRIBE) on the shard that owns the room's hash slot, so each room loads one
shard and a cluster's pub/sub grows with its shards; the room's presence keys carry the same hash tag
and live on that shard too.
"""

import contextlib
import json
import logging
import time
import uuid

import gevent
import redis
import redis.cluster
from gevent.event import AsyncResult
from gevent.queue import Empty, Queue

from shared.errors import ServiceUnavailable
from ws_service import stages
from ws_service.frames import encode

log = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_SECONDS = 2
RECONNECT_DELAYS = (0.1, 0.2, 0.5, 1, 2)


class BrokerUnavailable(ServiceUnavailable):
    code = "broker_unavailable"
    message = "The message broker is unavailable; try again soon."


class InMemoryBroker:
    def __init__(self, hub):
        self._hub = hub

    def start(self, loops):
        pass

    def publish(self, events, by=None):
        for event in events:
            self._hub.broadcast(event, by)

    def publish_ephemeral(self, event):
        self._hub.broadcast(event)

    def follow(self, room_id):
        pass

    def follow_soon(self, room_ids):
        pass

    def wait_following(self, room_ids):
        pass

    def unfollow(self, room_id):
        pass

    def unfollow_rooms(self, room_ids):
        pass

    def presence_changed(self, room_id, users, event):
        pass  # the hub has told its own sockets already, and there are no others

    def clients(self, room_id):
        return list(self._hub.clients(room_id))

    def online_counts(self, room_ids):
        return {room_id: len(self._hub.clients(room_id)) for room_id in room_ids}

    def check(self):
        pass


class RedisBroker:
    def __init__(self, hub, url, presence_ttl_seconds, cluster=False):
        self._hub = hub
        self._cluster = cluster
        client = redis.cluster.RedisCluster if cluster else redis.Redis
        self._redis = client.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self._names = _Names(cluster)
        self._process_id = uuid.uuid4().hex
        self._presence_ttl = presence_ttl_seconds
        self._followers = {}  # room_id -> number of local sockets and waiters that follow it
        self._subscribed = {}  # room_id -> AsyncResult set once Redis confirms the subscription
        self._commands = Queue()  # ("subscribe" | "unsubscribe", [room_id]) for the subscriber greenlet
        self._presence_updates = Queue()
        self._local_presence = {}  # room_id -> users, as the hub last reported them

    def start(self, loops):
        loops.spawn("Redis subscriber", self._subscribe_forever)
        loops.spawn("Redis presence", self._keep_presence)

    # -- publishing ------------------------------------------------------------------------------

    def publish(self, events, by=None):
        """Publish stored events (a committed batch, in seq order) in one round trip; `by`: who
        edited or deleted, for the user event streams (a message's sender is in it). If Redis is
        down, they are stored all the same: deliver them to this process's sockets, and the other
        processes read them from the database once Redis is back (see resync)."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            for event in events:
                self._publish(pipe, event["room_id"], self._envelope(event, by))
            pipe.execute()
        except redis.RedisError as error:
            log.warning("could not publish to Redis (%s); delivering locally only", error)
            for event in events:
                self._hub.broadcast(event, by)

    def publish_ephemeral(self, event):
        """An event that is never stored (typing): this process's sockets get it at once, the
        others through Redis; while Redis is away only this process's do, and nothing is owed."""
        self._hub.broadcast(event)
        try:
            self._publish(self._redis, event["room_id"], self._envelope(event))
        except redis.RedisError as error:
            log.warning("could not publish an ephemeral event to Redis (%s)", error)

    def presence_changed(self, room_id, users, event):
        """From the hub: its local view of a room changed, and `event` (join or leave) went to
        its own sockets. Both go to the others without making the hub wait."""
        self._presence_updates.put((room_id, users, event))

    def _publish(self, client, room_id, payload):
        """On the room's channel: sharded in a cluster, so that only the room's shard carries it."""
        channel = self._names.channel(room_id)
        if self._cluster:
            client.spublish(channel, payload)
        else:
            client.publish(channel, payload)

    def _envelope(self, event, by=None):
        # `at`: when it was published, for the time it takes to cross (ws_service/stages.py).
        envelope = {"origin": self._process_id, "at": time.time(), "event": event}
        if by is not None:
            envelope["by"] = by
        return encode(envelope)

    # -- following rooms -------------------------------------------------------------------------

    def follow(self, room_id):
        """Receive the room's events from now on. Returns once Redis has confirmed (or after a
        short wait if Redis is down: the socket still works, catching up after the outage)."""
        self.follow_soon([room_id])
        self.wait_following([room_id])

    def follow_soon(self, room_ids):
        """Receive these rooms' events once Redis confirms, in one subscription; returns at once
        (the hub calls it, and never waits)."""
        new = []
        for room_id in room_ids:
            self._followers[room_id] = self._followers.get(room_id, 0) + 1
            if self._followers[room_id] == 1:
                self._subscribed[room_id] = AsyncResult()
                new.append(room_id)
        if new:
            self._commands.put(("subscribe", new))

    def wait_following(self, room_ids):
        """Until Redis has confirmed every one of the rooms followed (or a short wait has passed)."""
        deadline = time.monotonic() + SUBSCRIBE_TIMEOUT_SECONDS
        for room_id in room_ids:
            confirmed = self._subscribed.get(room_id)
            if confirmed is not None:
                confirmed.wait(timeout=max(0.0, deadline - time.monotonic()))

    def unfollow(self, room_id):
        self.unfollow_rooms([room_id])

    def unfollow_rooms(self, room_ids):
        gone = []
        for room_id in room_ids:
            self._followers[room_id] -= 1
            if self._followers[room_id] == 0:
                del self._followers[room_id]
                del self._subscribed[room_id]
                gone.append(room_id)
        if gone:
            self._commands.put(("unsubscribe", gone))

    def _subscribe_forever(self):
        attempt = 0
        outage = False
        while True:
            pubsub = self._redis.pubsub()
            try:
                rooms = list(self._followers)
                if rooms:
                    self._subscribe(pubsub, rooms)
                elif self._cluster:
                    self._redis.ping()  # a cluster's pub/sub connects to a shard at its first subscription
                else:
                    pubsub.ping()
                if outage:
                    log.info("Redis is back: catching up %d room(s) from the database", len(rooms))
                    self._hub.resync(rooms)
                    outage = False
                attempt = 0
                self._listen(pubsub)
            except redis.RedisError as error:
                if not outage:
                    log.warning("lost Redis (%s); reconnecting", error)
                outage = True
                gevent.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
                attempt += 1
            finally:
                with contextlib.suppress(redis.RedisError):
                    pubsub.close()

    def _subscribe(self, pubsub, room_ids):
        channels = [self._names.channel(room_id) for room_id in room_ids]
        if self._cluster:
            pubsub.ssubscribe(*channels)
        else:
            pubsub.subscribe(*channels)

    def _unsubscribe(self, pubsub, room_ids):
        channels = [self._names.channel(room_id) for room_id in room_ids]
        if self._cluster:
            pubsub.sunsubscribe(*channels)
        else:
            pubsub.unsubscribe(*channels)

    def _next_message(self, pubsub):
        """The next message on any channel followed, or None after a short wait: short, so that a
        new room's subscription starts promptly; a message ends it at once."""
        if not self._cluster:
            return pubsub.get_message(timeout=0.05)
        if not pubsub.node_pubsub_mapping:  # following nothing yet: no shard to wait on
            gevent.sleep(0.05)
            return None
        # Each shard's connection in turn, each for a moment.
        return pubsub.get_sharded_message(timeout=0.01)

    def _listen(self, pubsub):
        while True:
            self._apply_commands(pubsub)
            message = self._next_message(pubsub)
            if message is None:
                continue
            kind = message["type"].decode() if isinstance(message["type"], bytes) else message["type"]
            room_id = self._names.room_of(message["channel"]) if message.get("channel") else None
            if kind in ("subscribe", "ssubscribe"):
                confirmed = self._subscribed.get(room_id)
                if confirmed is not None:
                    confirmed.set(True)
            elif kind in ("message", "smessage"):
                event, origin, published_at, by = _opened(message["data"])
                if event is None:
                    log.warning("skipped a malformed payload on %s", message["channel"])
                    continue
                if published_at is not None:
                    stages.CROSSED.observe(max(0.0, time.time() - published_at))
                if "seq" in event or origin != self._process_id:
                    self._hub.broadcast(event, by)
                # else our own presence or typing: the hub told its sockets already

    def _apply_commands(self, pubsub):
        while True:
            try:
                action, room_ids = self._commands.get_nowait()
            except Empty:
                return
            # What changed again since the command was queued is left as it is now.
            if action == "subscribe":
                wanted = [room_id for room_id in room_ids if room_id in self._followers]
                if wanted:
                    self._subscribe(pubsub, wanted)
            else:
                unwanted = [room_id for room_id in room_ids if room_id not in self._followers]
                if unwanted:
                    self._unsubscribe(pubsub, unwanted)

    # -- presence --------------------------------------------------------------------------------

    def _keep_presence(self):
        """Write this process's view of each room to Redis on every change, and again before it
        expires; a process that dies stops refreshing, and its users fade out with the TTL."""
        refresh_every = self._presence_ttl / 3
        # On a deadline, not when the queue falls quiet: a busy process's changes in some rooms must
        # not let the others' presence expire.
        next_refresh = time.monotonic() + refresh_every
        while True:
            until_refresh = next_refresh - time.monotonic()
            try:
                if until_refresh <= 0:
                    rooms = list(self._local_presence)
                    next_refresh = time.monotonic() + refresh_every
                else:
                    room_id, users, event = self._presence_updates.get(timeout=until_refresh)
                    self._local_presence[room_id] = users
                    if event is not None:
                        self._publish(self._redis, room_id, self._envelope(event))
                    rooms = [room_id]
            except Empty:
                continue  # the refresh is due
            except redis.RedisError as error:
                log.warning("could not publish presence (%s)", error)
                continue
            try:
                self._write_presence(rooms)
            except redis.RedisError as error:
                log.warning("could not write presence to Redis (%s)", error)

    def _write_presence(self, rooms):
        pipe = self._redis.pipeline()
        for room_id in rooms:
            users = self._local_presence.get(room_id, ())
            key = self._names.presence_key(room_id, self._process_id)
            pipe.delete(key)
            if users:
                pipe.hset(key, mapping={str(user["id"]): user["username"] for user in users})
                pipe.expire(key, int(self._presence_ttl))
                pipe.sadd(self._names.presence_index(room_id), self._process_id)
                pipe.expire(self._names.presence_index(room_id), int(self._presence_ttl))
            else:
                self._local_presence.pop(room_id, None)
                pipe.srem(self._names.presence_index(room_id), self._process_id)
        pipe.execute()

    def clients(self, room_id):
        """Who is connected to the room on any process, one entry per user: this process's own
        sockets as of now, the others' as they last wrote them."""
        users = self._presence_elsewhere([room_id])[room_id]
        for user in self._hub.clients(room_id):
            users[user["id"]] = user["username"]
        return [{"id": user_id, "username": users[user_id]} for user_id in sorted(users)]

    def online_counts(self, room_ids):
        """How many people are connected to each room, on any process (two round trips in all)."""
        elsewhere = self._presence_elsewhere(room_ids)
        return {
            room_id: len(elsewhere[room_id].keys() | {user["id"] for user in self._hub.clients(room_id)})
            for room_id in room_ids
        }

    def _presence_elsewhere(self, room_ids):
        """room_id -> {user_id: username} connected through the other processes."""
        try:
            pipe = self._redis.pipeline()
            for room_id in room_ids:
                pipe.smembers(self._names.presence_index(room_id))
            processes = [sorted({p.decode() for p in members} - {self._process_id}) for members in pipe.execute()]
            pipe = self._redis.pipeline()
            for room_id, others in zip(room_ids, processes, strict=True):
                for process_id in others:
                    pipe.hgetall(self._names.presence_key(room_id, process_id))
            mappings = iter(pipe.execute())
        except redis.RedisError:
            raise BrokerUnavailable() from None
        presence = {}
        for room_id, others in zip(room_ids, processes, strict=True):
            presence[room_id] = {
                int(user_id): username.decode() for _ in others for user_id, username in next(mappings).items()
            }
        return presence

    def check(self):
        try:
            self._redis.ping()
        except redis.RedisError:
            raise BrokerUnavailable() from None


def _opened(payload):
    """(event, origin, when it was published or None, who edited or deleted or None) from a payload
    on a room's channel, or Nones for anything else: one bad payload (anyone who can reach Redis
    can publish) must not end this process's listening."""
    try:
        envelope = json.loads(payload)
        event, origin = envelope["event"], envelope["origin"]
        room_id = event["room_id"]
    except (ValueError, TypeError, KeyError):
        return None, None, None, None
    if not isinstance(event.get("type"), str) or not isinstance(room_id, int) or isinstance(room_id, bool):
        return None, None, None, None
    if "seq" in event and (not isinstance(event["seq"], int) or isinstance(event["seq"], bool)):
        return None, None, None, None
    published_at, by = envelope.get("at"), envelope.get("by")
    if not (isinstance(by, dict) and isinstance(by.get("id"), int) and isinstance(by.get("username"), str)):
        by = None
    return event, origin, published_at if isinstance(published_at, float) else None, by


class _Names:
    """A room's channel and presence keys. In a cluster they share a hash tag ({42}), so that the room's
    traffic and presence live on one shard; a single Redis keeps the names it always had."""

    def __init__(self, cluster):
        self._cluster = cluster

    def _room(self, room_id):
        return f"{{{room_id}}}" if self._cluster else str(room_id)

    def channel(self, room_id):
        return f"parley:room:{self._room(room_id)}"

    def presence_key(self, room_id, process_id):
        return f"parley:presence:{self._room(room_id)}:{process_id}"

    def presence_index(self, room_id):
        return f"parley:presence:{self._room(room_id)}"

    @staticmethod
    def room_of(channel):
        return int(channel.rsplit(b":", 1)[1].strip(b"{}"))
