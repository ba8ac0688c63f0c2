"""The migration runner: from empty to the full schema, idempotent, and safe when processes race."""

import subprocess
import sys

import psycopg2
import pytest

from db.migrate import MigrationChanged, apply_migrations, migration_files
from tests.conftest import REPO

SCHEMA_QUERY = """
    SELECT table_name, column_name, data_type, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL
    SELECT tablename, indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'
    ORDER BY 1, 2
"""


def query(url, statement, params=None):
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()
    finally:
        conn.close()


def test_from_empty_every_migration_is_applied_in_order(databases):
    url = databases.create(migrated=False)
    applied = apply_migrations(url)
    assert applied == [path.name for path in migration_files()]
    assert applied == sorted(applied)
    tables = {row[0] for row in query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"schema_migrations", "users", "revoked_tokens"} <= tables
    assert [row[0] for row in query(url, "SELECT name FROM schema_migrations ORDER BY name")] == applied


def test_applying_twice_changes_nothing(databases):
    url = databases.create(migrated=False)
    apply_migrations(url)
    schema_before = query(url, SCHEMA_QUERY)
    assert apply_migrations(url) == []
    assert query(url, SCHEMA_QUERY) == schema_before


def test_processes_starting_together_apply_each_migration_once(databases):
    url = databases.create(migrated=False)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "db.migrate"],
            cwd=REPO,
            env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=60)[0] for process in processes]
    assert [process.returncode for process in processes] == [0] * 4
    counts = sorted(int(output.split()[0]) for output in outputs)
    assert counts == [0, 0, 0, len(migration_files())]
    assert query(url, "SELECT count(*), count(DISTINCT name) FROM schema_migrations") == [(len(migration_files()),) * 2]


def test_wait_returns_once_the_migrations_are_applied_by_someone_else(databases):
    url = databases.create(migrated=False)
    waiting = subprocess.Popen(
        [sys.executable, "-m", "db.migrate", "--wait"],
        cwd=REPO,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=3)  # nothing applied yet: still waiting
        assert query(url, "SELECT to_regclass('schema_migrations')") == [(None,)]  # and it applied nothing
        apply_migrations(url)
        assert waiting.wait(timeout=30) == 0
        assert waiting.stdout.read().strip() == "every migration is applied"
    finally:
        waiting.kill()


def test_an_edited_migration_that_already_ran_is_refused(databases):
    url = databases.create()
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE name = %s", (migration_files()[0].name,))
    conn.close()
    with pytest.raises(MigrationChanged):
        apply_migrations(url)


def test_usernames_are_unique_whatever_their_case_in_the_schema_itself(databases):
    url = databases.create()
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO users (username, password_hash) VALUES ('Linus', 'x')")
            with pytest.raises(psycopg2.errors.UniqueViolation):
                cursor.execute("INSERT INTO users (username, password_hash) VALUES ('LINUS', 'x')")
    finally:
        conn.close()


def test_a_test_database_is_a_copy_of_the_template_with_every_migration(databases):
    url = databases.create()
    applied = [name for (name,) in query(url, "SELECT name FROM schema_migrations ORDER BY name")]
    assert applied == [path.name for path in migration_files()]
    templates = query(databases.admin_url, "SELECT datname FROM pg_database WHERE datname LIKE 'parley_template_%'")
    assert templates == [(databases.template(),)]  # older migrations' templates are gone
    assert apply_migrations(url) == []
