"""Background loops are kept running: a crash is logged, the loop starts again, and health says
unavailable meanwhile (issue 15, finding 9)."""

import logging

import gevent
import pytest

from shared.background import FIRST_PAUSE_SECONDS, BackgroundLoops, LoopDown


def test_a_loop_that_crashes_is_logged_restarted_and_unhealthy_meanwhile(caplog):
    loops = BackgroundLoops()
    runs = []

    def listener():
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("a payload nobody expected")
        gevent.sleep(3600)  # the second run lives on

    with caplog.at_level(logging.ERROR, logger="shared.background"):
        loops.spawn("listener", listener)
        gevent.sleep(FIRST_PAUSE_SECONDS / 2)
        assert runs == [0]
        with pytest.raises(LoopDown, match="listener"):
            loops.check()
        gevent.sleep(FIRST_PAUSE_SECONDS)
    assert runs == [0, 1]
    loops.check()  # running again: healthy
    assert "background loop listener failed" in caplog.text and "a payload nobody expected" in caplog.text


def test_a_loop_that_ends_is_started_again_too():
    loops = BackgroundLoops()
    runs = []
    loops.spawn("sweep", lambda: runs.append(1))
    gevent.sleep(FIRST_PAUSE_SECONDS * 4)
    assert len(runs) >= 2
