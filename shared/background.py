"""A process's background loops (the database listener; ws_service's hub, broker and committer), kept
running: a loop that crashes is logged and started again after a pause, and /healthz answers 503
until it runs again. A loop left dead would go unnoticed: the process would still answer 200 while
its sockets heard nothing."""

import logging
import time
from collections.abc import Callable
from typing import Any

import gevent

from shared.errors import ServiceUnavailable

log = logging.getLogger(__name__)

FIRST_PAUSE_SECONDS = 0.1
LONGEST_PAUSE_SECONDS = 5.0
# A loop that ran this long before it failed starts again after the first pause, not a longer one.
HEALTHY_RUN_SECONDS = 60.0


class LoopDown(ServiceUnavailable):
    code = "background_loop_down"
    message = "A background loop of this process is restarting."


class BackgroundLoops:
    def __init__(self) -> None:
        self._down: set[str] = set()

    def spawn(self, name: str, loop: Callable[..., Any], *args: Any) -> gevent.Greenlet:
        """Run `loop(*args)` (meant to run for ever) in a greenlet of its own, started again whenever it ends."""
        return gevent.spawn(self._keep_running, name, loop, args)

    def _keep_running(self, name: str, loop: Callable[..., Any], args: tuple[Any, ...]) -> None:
        pause = FIRST_PAUSE_SECONDS
        while True:
            started = time.monotonic()
            try:
                loop(*args)
                log.error("background loop %s ended; starting it again", name)
            except Exception:
                log.exception("background loop %s failed; starting it again", name)
            if time.monotonic() - started > HEALTHY_RUN_SECONDS:
                pause = FIRST_PAUSE_SECONDS
            self._down.add(name)
            gevent.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
            self._down.discard(name)

    def check(self) -> None:
        """For /healthz: unavailable while any loop is down."""
        if self._down:
            raise LoopDown(f"Restarting: {', '.join(sorted(self._down))}.")
