"""The pool's slots are handed out first come, first served (threads here; greenlets once patched)."""

import threading
import time

from shared.db import FairSlots


def wait_until(check, timeout=5):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.005)


def test_a_released_slot_goes_to_the_waiter_not_back_to_the_holder():
    slots = FairSlots(1)
    assert slots.acquire(timeout=1)
    served = []

    def waiter():
        assert slots.acquire(timeout=5)
        served.append("waiter")
        time.sleep(0.05)
        slots.release()

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: slots._waiters)
    slots.release()
    assert slots.acquire(timeout=5)  # at once, as a reader storing message after message does
    served.append("holder")
    slots.release()
    thread.join()
    assert served == ["waiter", "holder"]


def test_a_waiter_that_times_out_leaves_nothing_behind():
    slots = FairSlots(1)
    assert slots.acquire(timeout=1)
    started = time.monotonic()
    assert slots.acquire(timeout=0.1) is False
    assert time.monotonic() - started >= 0.1
    slots.release()
    assert slots.acquire(timeout=0)  # the slot came back free, not to the waiter that left
    assert slots.acquire(timeout=0) is False
