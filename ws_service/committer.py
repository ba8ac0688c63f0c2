"""Group commit: the messages a process is asked to store at the same moment are stored together,
in one statement and one commit (storage.store_messages), across rooms, and each sender hears of its
message only after that commit; the stored events are published after it too, in seq order.

No timer: the committer stores whatever is waiting as soon as the previous batch has committed. At
low load a message is stored alone, as fast as before; under load a batch holds what arrived during
the previous round trip, so PostgreSQL commits (and wakes) once for many messages."""

import logging
import time
from collections.abc import Callable
from typing import Any

from gevent.event import AsyncResult
from gevent.queue import Empty, Queue
from prometheus_client import Histogram

from shared.background import BackgroundLoops
from shared.errors import ServiceUnavailable
from ws_service import stages
from ws_service.storage import Send

log = logging.getLogger(__name__)

# The most messages one statement stores: a bound on a batch's size and on its round trip.
MAX_BATCH = 200
# A sender waits this long for its batch's commit before it is told to try again (with the same
# client_id, the retry finds the message if it was stored after all).
COMMIT_WAIT_SECONDS = 30

Outcome = tuple[str, dict[str, Any] | None]

BATCH_SIZE = Histogram(
    "parley_message_batch_size",
    "Messages stored by one statement and commit",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)


class StoreTimedOut(ServiceUnavailable):
    code = "store_timed_out"
    message = "Storing the message took too long; send it again with the same client_id."


class MessageCommitter:
    def __init__(
        self,
        store_batch: Callable[[list[Send]], list[Outcome]],
        publish_stored: Callable[[list[Outcome]], None],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._store_batch = store_batch  # [Send] -> [(outcome, row)], committed when it returns
        self._publish_stored = publish_stored  # the batch's outcomes, once committed
        self._max_batch = max_batch
        self._waiting: Queue = Queue()  # (Send, AsyncResult, when it was queued)

    def start(self, loops: BackgroundLoops) -> None:
        loops.spawn("message committer", self._run)

    def store(self, send: Send) -> Outcome:
        """Store `send` with the next batch: its (outcome, row), once committed."""
        return self.outcome_of(self.submit(send))

    def submit(self, send: Send) -> AsyncResult:
        """Queue `send` for the next batch, in the order of the calls; outcome_of() waits for it."""
        stored = AsyncResult()
        self._waiting.put((send, stored, time.perf_counter()))
        return stored

    @staticmethod
    def outcome_of(stored: AsyncResult) -> Outcome:
        """A submitted send's (outcome, row), once its batch has committed."""
        try:
            outcome: Outcome = stored.get(timeout=COMMIT_WAIT_SECONDS)
        except TimeoutError:
            raise StoreTimedOut() from None
        return outcome

    def _run(self) -> None:
        while True:
            batch = [self._waiting.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._waiting.get_nowait())
                except Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[tuple[Send, AsyncResult, float]]) -> None:
        BATCH_SIZE.observe(len(batch))
        started = time.perf_counter()
        for _, _, queued_at in batch:
            stages.QUEUED.observe(started - queued_at)
        try:
            outcomes = self._store_batch([send for send, _, _ in batch])
        except BaseException as error:
            # Each sender hears of it (a database outage is a 503, as before); the committer goes on,
            # unless it was killed.
            for _, stored, _ in batch:
                stored.set_exception(error if isinstance(error, Exception) else ServiceUnavailable())
            if not isinstance(error, Exception):
                raise
            return
        stored_at = time.perf_counter()
        for _ in batch:
            stages.STORED.observe(stored_at - started)
        try:
            self._publish_stored(outcomes)
        except Exception:
            # Stored all the same: the hubs read what they missed from the database.
            log.exception("could not publish a batch of %d messages", len(batch))
        published_in = time.perf_counter() - stored_at
        for _ in batch:
            stages.PUBLISHED.observe(published_in)
        for (_, stored, _), outcome in zip(batch, outcomes, strict=True):
            stored.set(outcome)
