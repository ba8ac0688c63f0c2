"""ws_service checks a token against its own set of ended sessions (ws_service/ended_sessions.py),
kept by its database listener, instead of asking the database on every request (issue 16); what
ends reaches that set within a second, and a reconnect reads it afresh from the database."""

import re

import jwt
import requests

from shared.tokens import issue_token
from tests.conftest import METRICS_HEADERS, eventually


def token_checks(ws_base_url):
    metrics = requests.get(f"{ws_base_url}/ws/metrics", headers=METRICS_HEADERS, timeout=10).text
    return {by: float(n) for by, n in re.findall(r'^parley_token_checks_total\{by="(\w+)"\} (\S+)$', metrics, re.M)}


def refused(person):
    return person.get("/ws/getRooms").status_code == 401


def test_a_token_from_login_is_checked_in_memory_and_an_old_style_one_by_the_database(person, ws_base_url, config):
    before = token_checks(ws_base_url)
    assert person.get("/ws/getRooms").status_code == 200
    middle = token_checks(ws_base_url)
    assert middle.get("memory", 0) == before.get("memory", 0) + 1
    # A token without its username (issued before this change) is checked as before.
    person.token, _ = issue_token(config, person.id)
    assert person.get("/ws/getRooms").status_code == 200
    assert token_checks(ws_base_url).get("database", 0) == middle.get("database", 0) + 1


def test_a_logged_out_token_is_refused_within_a_second(person):
    assert person.get("/ws/getRooms").status_code == 200
    token = person.token
    assert person.post("/auth/logout").status_code == 202
    person.token = token
    eventually(lambda: refused(person), timeout=1, what="the logout reaching ws_service")


def test_a_deleted_accounts_token_is_refused_within_a_second(person):
    assert person.get("/ws/getRooms").status_code == 200
    assert person.request("DELETE", "/users/delete").status_code in (200, 204)
    eventually(lambda: refused(person), timeout=1, what="the deletion reaching ws_service")


def test_a_reconnected_listener_reads_what_ended_while_it_was_not_listening(person, ws_base_url, db_cursor):
    assert person.get("/ws/getRooms").status_code == 200
    # Revoked behind the listeners' backs: no notification, as if said while none listened.
    db_cursor.execute(
        "INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES (%s, %s, now() + interval '1 hour')",
        (token_id(person.token), person.id),
    )
    assert person.get("/ws/getRooms").status_code == 200  # this process has not heard of it
    db_cursor.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'parley-ws-listener'"
    )
    eventually(lambda: refused(person), timeout=10, what="the listener reconnecting and reading the revocation")
    eventually(lambda: requests.get(f"{ws_base_url}/ws/healthz").status_code == 200, what="healthy again")


def token_id(token):
    return jwt.decode(token, options={"verify_signature": False})["jti"]
