"""Prepared statements: planned once per connection, run with the parameters of each call."""

import psycopg2
import psycopg2.extras

from shared.db import PreparedStatement

DOUBLED = PreparedStatement(
    "test_doubled", "SELECT %(n)s * 2 AS doubled, %(label)s AS label", {"n": "bigint", "label": "text"}
)


def prepared_names(cursor):
    cursor.execute("SELECT name FROM pg_prepared_statements")
    return [row["name"] for row in cursor.fetchall()]


def test_a_statement_is_prepared_once_per_connection_and_runs_with_each_calls_parameters(database_url):
    connections = [psycopg2.connect(database_url) for _ in range(2)]
    try:
        for conn in connections:
            conn.autocommit = True
            with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                assert prepared_names(cursor) == []
                for n in (1, 21):
                    DOUBLED.execute(cursor, {"n": n, "label": "it's 50% more"})  # quotes and % pass through
                    assert cursor.fetchone() == {"doubled": 2 * n, "label": "it's 50% more"}
                assert prepared_names(cursor) == ["test_doubled"]
                for n in range(10):
                    DOUBLED.execute(cursor, {"n": n, "label": "again"})
                cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements")
                assert cursor.fetchone() == {"generic_plans": 12, "custom_plans": 0}  # planned once, never again
    finally:
        for conn in connections:
            conn.close()
