"""A socket's sends between the committer and their outcome. The socket's reader hands each send to
the committer and reads on, so that a client's burst is stored in a few batches (and reaches the
room's sockets in runs, one write each) instead of one commit per message, each waited for before
the next frame is read. Sends are stored in the order they were read; their outcomes are answered
in that order by a greenlet that runs only while some are waiting. A client that gets more than
MAX_SENDS_IN_FLIGHT ahead of its commits has its reader wait: no frame is read meanwhile."""

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent
import gevent.lock
from flask import current_app
from gevent.event import AsyncResult

from ws_service import actions

if TYPE_CHECKING:
    from ws_service.connection import Connection

MAX_SENDS_IN_FLIGHT = 32

AnswerFailure = Callable[["Connection", Exception, Any], None]  # (connection, error, the frame's ref)


class InFlightSends:
    def __init__(self, connection: "Connection", answer_failure: AnswerFailure) -> None:
        self._connection = connection
        self._answer_failure = answer_failure
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]  # the answerer runs outside the request
        self._waiting: deque[tuple[str | None, AsyncResult]] = deque()  # (client_id, the committer's answer)
        self._slots = gevent.lock.BoundedSemaphore(MAX_SENDS_IN_FLIGHT)
        self._answerer: gevent.Greenlet | None = None

    def send(self, draft: actions.Draft) -> None:
        """Queue a message to be stored (an ApiError at once if the sender is over its rate)."""
        connection = self._connection
        self._slots.acquire()
        try:
            submitted = actions.submit_message(connection.room_id, connection.user, draft)
        except BaseException:
            self._slots.release()
            raise
        self._waiting.append((draft.client_id, submitted))
        if self._answerer is None:
            self._answerer = gevent.spawn(self._answer)

    def _answer(self) -> None:
        """Nothing between finding the queue empty and ending yields: a send either comes before
        (and is answered) or finds no answerer (and starts one)."""
        try:
            while self._waiting:
                with self._app.app_context():
                    self._answer_oldest()
        finally:
            self._answerer = None

    def _answer_oldest(self) -> None:
        connection = self._connection
        client_id, submitted = self._waiting[0]
        try:
            event, created = actions.sent_message(connection.room_id, connection.user, client_id, submitted)
            if not created:
                connection.send_event(event)  # a repeat: the stored event, to this client only
        except Exception as error:
            self._answer_failure(connection, error, client_id)
        finally:
            self._waiting.popleft()
            self._slots.release()
