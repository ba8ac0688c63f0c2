"""The PostgreSQL connection pool every service uses, and its transaction helper.

Connections are taken per transaction, not per request: a login spends most of its time hashing and a
WebSocket lives for hours, and neither should hold a connection while it waits. Under gevent the
pool's semaphore and psycopg2 (made cooperative by shared.cooperative) wait without blocking the
worker. A connection that fails is thrown away, so the pool heals by itself when the server is back.
"""

import json
import logging
import select
import threading
import weakref
from collections import deque
from contextlib import contextmanager, suppress
from typing import ClassVar

import gevent.monkey
import psycopg2
import psycopg2.extras
from flask import current_app

from shared.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# Errors that mean the server or the link to it is gone, not that the statement was wrong.
CONNECTION_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)


class PreparedStatement:
    """A statement PostgreSQL plans once per connection (PREPARE, then EXECUTE) rather than on
    every run: for the statements each request or message runs, planning cost more than running
    (storing a message: 735 us planned each time, 410 us prepared). Once: left to itself, PostgreSQL
    may plan a prepared statement anew for each run's parameters, and did so for the batch store
    (0.9 ms a batch of one instead of 0.55), so the connection is told to keep the generic plan."""

    _prepared: ClassVar[weakref.WeakKeyDictionary] = weakref.WeakKeyDictionary()  # connection -> names prepared on it

    def __init__(self, name, statement, types):
        """`statement` with %(param)s placeholders; `types`: param -> SQL type."""
        numbered = statement
        for position, param in enumerate(types, 1):
            numbered = numbered.replace(f"%({param})s", f"${position}")
        self._name = name
        self._prepare = f"PREPARE {name} ({', '.join(types.values())}) AS {numbered}"
        self._execute = f"EXECUTE {name} ({', '.join(f'%({param})s' for param in types)})"

    def execute(self, cursor, params):
        prepared = self._prepared.setdefault(cursor.connection, set())
        if self._name not in prepared:
            cursor.execute(("" if prepared else "SET plan_cache_mode = force_generic_plan; ") + self._prepare)
            prepared.add(self._name)
        cursor.execute(self._execute, params)


def notify(cursor, channel, message):
    """NOTIFY `channel` with `message` as JSON, once the transaction commits (PostgreSQL holds it
    till then, and drops it on a rollback)."""
    cursor.execute("SELECT pg_notify(%(channel)s, %(payload)s)", {"channel": channel, "payload": json.dumps(message)})


class FairSlots:
    """At most `size` holders, served first come, first served. A released slot goes straight to
    the longest waiter: with a plain semaphore, a greenlet that releases and at once acquires again
    (a socket's reader storing one message after another) takes the slot back before any waiter
    runs, and a busy room can starve the others past their timeout."""

    def __init__(self, size):
        self._free = size
        self._waiters: deque[threading.Event] = deque()  # one per waiter, set when handed a slot
        self._lock = threading.Lock()  # gevent's, once patched

    def acquire(self, timeout):
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            handed = threading.Event()
            self._waiters.append(handed)
        if handed.wait(timeout):
            return True
        with self._lock:
            if handed.is_set():  # handed a slot just as the wait ended
                return True
            self._waiters.remove(handed)
            return False

    def release(self):
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._free += 1


class ConnectionPool:
    def __init__(self, dsn, size, acquire_timeout_seconds):
        self._dsn = dsn
        self._slots = FairSlots(size)
        self._idle = []
        self._acquire_timeout = acquire_timeout_seconds

    @contextmanager
    def connection(self):
        if not self._slots.acquire(timeout=self._acquire_timeout):
            raise ServiceUnavailable("The database is busy; try again soon.", code="database_busy")
        conn = None
        try:
            conn = self._take_idle() or self._connect()
            yield conn
        except CONNECTION_ERRORS as error:
            log.warning("database connection failed: %s", error)
            self._discard(conn)
            # The others were opened to the same server and are most likely dead too.
            self.close_idle()
            conn = None
            raise ServiceUnavailable(
                "The database is unavailable; try again soon.", code="database_unavailable"
            ) from None
        except Exception:
            if not self._rolled_back(conn):
                self._discard(conn)
                conn = None
            raise
        except BaseException:
            # A greenlet killed mid-query leaves the connection in an unknown state.
            self._discard(conn)
            conn = None
            raise
        finally:
            if conn is not None:
                self._idle.append(conn)
            self._slots.release()

    @contextmanager
    def transaction(self):
        """A cursor whose statements commit together, or not at all if the block raises."""
        with self.connection() as conn:
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                yield cursor
            conn.commit()

    @contextmanager
    def autocommit(self):
        """A cursor whose statements each commit on their own: one round trip each instead of
        BEGIN, the statement and COMMIT. For reads, and statements that are a whole change alone."""
        with self.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                    yield cursor
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def _take_idle(self):
        """A pooled connection that is still open, or None. A connection the server ended while it
        sat idle (a restart, pg_terminate_backend) has its end-of-file waiting to be read; one that
        is fine has nothing to say until asked."""
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and not _has_input(conn.fileno()):
                return conn
            self._discard(conn)
        return None

    def close_idle(self):
        while self._idle:
            self._discard(self._idle.pop())

    def _connect(self):
        return psycopg2.connect(self._dsn, connect_timeout=5, application_name="parley")

    @staticmethod
    def _rolled_back(conn):
        if conn is None or conn.closed:
            return False
        try:
            conn.rollback()
            return True
        except psycopg2.Error:
            return False

    @staticmethod
    def _discard(conn):
        if conn is not None and not conn.closed:
            with suppress(*CONNECTION_ERRORS):
                conn.close()


# poll(), not select(): select() refuses descriptors from 1,024 up, which a process holding
# thousands of sockets hands its new connections. The original, not gevent's: a zero timeout never
# waits, so there is nothing to cooperate on.
_poll = gevent.monkey.get_original("select", "poll")


def _has_input(fd):
    poller = _poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def init_app(app, config):
    app.extensions["parley_db"] = ConnectionPool(
        config.database_url, config.db_pool_size, config.db_acquire_timeout_seconds
    )


def get_pool():
    return current_app.extensions["parley_db"]


def transaction():
    return get_pool().transaction()


def autocommit():
    return get_pool().autocommit()
