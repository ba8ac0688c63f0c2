"""A PostgreSQL of our own for `make run` when no DATABASE_URL is given (the pgserver package).

Its data folder stays between runs, so accounts and rooms are still there next time.
"""

import logging
from pathlib import Path

import psycopg2
from psycopg2 import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "parley"


def start_embedded_postgres(data_dir):
    """Start (or reuse) the server under `data_dir`; return it (keep it: it stops when the process
    ends) and the URL of Parley's database in it."""
    import pgserver  # imported here: it is needed only when no DATABASE_URL is set

    pgdata = Path(data_dir).resolve() / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri()
    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": DATABASE_NAME})
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
    finally:
        conn.close()
    log.info("embedded PostgreSQL in %s", pgdata)
    return server, server.get_uri(DATABASE_NAME)
