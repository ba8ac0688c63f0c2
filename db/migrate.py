"""Apply the SQL files in db/migrations in name order, each once, recorded in schema_migrations.

A short runner rather than a library: the schema is plain SQL files, and all we need is order, a
record of what ran, and an advisory lock so that processes starting together apply each file once.
(Alembic would bring SQLAlchemy; yoyo brings its own lock table; neither gives more than this.)
Run it with `python -m db.migrate` (DATABASE_URL names the database). `python -m db.migrate --wait`
applies nothing: it returns once every migration this code ships has been applied (by the migration
Job a Kubernetes deployment runs, which each service's pod waits for this way).
"""

import hashlib
import logging
import os
import sys
import time
from pathlib import Path

import psycopg2

from shared import logs

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant works; every Parley process agrees on this one.
ADVISORY_LOCK_KEY = 0x5041524C4559  # "PARLEY"


class MigrationChanged(RuntimeError):
    """A migration that already ran has been edited; write a new one instead."""


def migration_files():
    return sorted(MIGRATIONS_DIR.glob("*.sql"))


def apply_migrations(dsn):
    """Apply what is not applied yet; return the names applied by this call."""
    applied_now = []
    conn = psycopg2.connect(dsn, application_name="parley-migrate")
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
            try:
                cursor.execute(
                    """CREATE TABLE IF NOT EXISTS schema_migrations (
                           name       text PRIMARY KEY,
                           checksum   text NOT NULL,
                           applied_at timestamptz NOT NULL DEFAULT now())"""
                )
                cursor.execute("SELECT name, checksum FROM schema_migrations")
                done = dict(cursor.fetchall())
                conn.autocommit = False
                for path in migration_files():
                    sql = path.read_text()
                    checksum = hashlib.sha256(sql.encode()).hexdigest()
                    if path.name in done:
                        if done[path.name] != checksum:
                            raise MigrationChanged(f"{path.name} changed after it was applied")
                        continue
                    cursor.execute(sql)
                    cursor.execute(
                        "INSERT INTO schema_migrations (name, checksum) VALUES (%(name)s, %(checksum)s)",
                        {"name": path.name, "checksum": checksum},
                    )
                    conn.commit()
                    applied_now.append(path.name)
                    log.info("applied migration %s", path.name)
            finally:
                conn.rollback()
                conn.autocommit = True
                cursor.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    finally:
        conn.close()
    return applied_now


def pending_migrations(dsn):
    """The names of the migrations not applied yet (all of them before the first run)."""
    conn = psycopg2.connect(dsn, application_name="parley-migrate-wait")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
            applied = set()
            if cursor.fetchone()[0]:
                cursor.execute("SELECT name FROM schema_migrations")
                applied = {name for (name,) in cursor.fetchall()}
    finally:
        conn.close()
    return [path.name for path in migration_files() if path.name not in applied]


WAIT_POLL_SECONDS = 2


def wait_for_migrations(dsn):
    """Until every migration is applied; the database may not be up yet either."""
    while True:
        try:
            pending = pending_migrations(dsn)
        except psycopg2.OperationalError as error:
            log.info("waiting for the database: %s", str(error).strip())
        else:
            if not pending:
                return
            log.info("waiting for %d migration(s): %s", len(pending), ", ".join(pending))
        time.sleep(WAIT_POLL_SECONDS)


def main():
    logs.configure("migrate")
    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        sys.exit("DATABASE_URL is not set")
    if sys.argv[1:] == ["--wait"]:
        wait_for_migrations(dsn)
        print("every migration is applied")
        return
    applied = apply_migrations(dsn)
    print(f"{len(applied)} migration(s) applied" + (": " + ", ".join(applied) if applied else ""))


if __name__ == "__main__":
    main()
