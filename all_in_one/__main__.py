"""`python -m all_in_one` (what `make run` starts): migrations, then every service and the web client
on one port, in one gevent server."""
from shared.cooperative import make_cooperative

make_cooperative()

import dataclasses  # noqa: E402  (everything below runs patched, on purpose)
import logging  # noqa: E402
import signal  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

from all_in_one.embedded_postgres import start_embedded_postgres  # noqa: E402
from all_in_one.gateway import create_app  # noqa: E402
from db.migrate import apply_migrations  # noqa: E402
from shared.config import Config  # noqa: E402

log = logging.getLogger("all_in_one")

SHUTDOWN_GRACE_SECONDS = 5


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = Config.from_env()
    embedded = None  # held until main() returns: the embedded PostgreSQL stops with it
    if not config.database_url:
        embedded, url = start_embedded_postgres(config.data_dir)
        config = dataclasses.replace(config, database_url=url)
    apply_migrations(config.database_url)

    gateway, ws_app = create_app(config)
    # A pool, not bare greenlets, so that stop() waits for the requests and sockets in flight.
    server = WSGIServer((config.host, config.port), gateway, spawn=gevent.pool.Pool())

    stopped = gevent.event.Event()

    def shut_down():
        # Sockets first, with 1001 after what is queued for them; then the server waits for the
        # requests in flight, the long-polls among them.
        ws_app.extensions["parley_hub"].shut_down()
        server.stop(SHUTDOWN_GRACE_SECONDS)
        stopped.set()

    # Signal handlers run in the event loop, which must not wait: the shutdown gets a greenlet.
    gevent.signal_handler(signal.SIGTERM, gevent.spawn, shut_down)
    server.start()
    log.info("Parley is at http://localhost:%d", config.port)
    try:
        stopped.wait()
    except KeyboardInterrupt:
        shut_down()
    if embedded is not None:
        log.info("stopping the embedded PostgreSQL")


if __name__ == "__main__":
    main()
