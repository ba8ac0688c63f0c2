"""Make the standard library and psycopg2 yield to other greenlets instead of blocking the worker.

Call `make_cooperative()` before anything else is imported in a process entry point: gevent can only
patch modules that have not captured the blocking originals yet.
"""


def make_cooperative():
    from gevent import monkey

    monkey.patch_all()
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()


def is_cooperative():
    """Whether make_cooperative() ran: only then does gevent's loop run all the time, as in every
    service's process, and a background greenlet keep up with what it watches."""
    from gevent import monkey

    return monkey.is_module_patched("socket")
