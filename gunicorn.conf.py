"""gunicorn's settings for every Parley service. gunicorn reads this file from the directory it starts
in, so each way of starting a service gets it: docker compose (/app), make stack, the tests and the
benchmarks (the repository's root)."""

import resource

# gunicorn's own lines (start-up, a worker's timeout) as JSON, like every other line Parley writes.
logger_class = "shared.logs.GunicornLogger"

# nginx refuses a request line over 8 KiB itself (large_client_header_buffers); at gunicorn's default
# 4 KiB, gunicorn would refuse some of what nginx lets through, in plain text.
limit_request_line = 8190

# A connection has this long to send each request's line and headers, and an idle keep-alive
# connection is closed after it (the gevent worker reads every request under this timeout), so
# silent and half-sent connections do not pile up. nginx, in front, caps connections per address.
keepalive = 2


def on_starting(server):
    """Raise the descriptor limit to the hard one before the workers fork: a ws_service worker holds
    up to its --worker-connections (20,000) sockets, far past the usual soft limit of 1,024, and a
    worker that runs out fails every accept instead of refusing one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        server.log.info("descriptor limit raised from %s to %s", soft, hard)
