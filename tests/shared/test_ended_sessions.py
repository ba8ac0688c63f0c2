"""Every service checks a token against its process's own set of ended sessions
(shared/ended_sessions.py), kept by the process's database listener, instead of asking the database
on every request (issue 16): what ends reaches that set within a second, at once in the process that
ended it, and a reconnect reads it afresh from the database."""

import re

import jwt
import pytest
import requests

from shared.tokens import issue_token
from tests.conftest import METRICS_HEADERS, eventually

# A read of each service that needs a token.
READS = ["/auth/me", "/users/feed", "/ws/getRooms"]


def token_checks(base_url):
    metrics = requests.get(f"{base_url}/ws/metrics", headers=METRICS_HEADERS, timeout=10).text
    return {by: float(n) for by, n in re.findall(r'^parley_token_checks_total\{by="(\w+)"\} (\S+)$', metrics, re.M)}


def refused(person, path):
    return person.get(path).status_code == 401


@pytest.mark.parametrize("path", READS)
def test_a_token_from_login_is_checked_in_memory_and_an_old_style_one_by_the_database(person, base_url, config, path):
    before = token_checks(base_url)
    assert person.get(path).status_code == 200
    middle = token_checks(base_url)
    assert middle.get("memory", 0) == before.get("memory", 0) + 1
    assert middle.get("database", 0) == before.get("database", 0)
    # A token without its username (issued before this change) is checked as before.
    person.token, _ = issue_token(config, person.id)
    assert person.get(path).status_code == 200
    assert token_checks(base_url).get("database", 0) == middle.get("database", 0) + 1


@pytest.mark.parametrize("path", READS)
def test_a_logged_out_token_is_refused_at_once_in_the_same_process(person, path):
    assert person.get(path).status_code == 200
    token = person.token
    assert person.post("/auth/logout").status_code == 202
    person.token = token
    assert refused(person, path)


@pytest.mark.parametrize("path", READS)
def test_a_deleted_accounts_token_is_refused_at_once_in_the_same_process(new_person, path):
    person = new_person().register().login()
    assert person.get(path).status_code == 200
    assert person.request("DELETE", "/users/delete").status_code == 204
    assert refused(person, path)


def test_a_reconnected_listener_reads_what_ended_while_it_was_not_listening(person, base_url, db_cursor):
    assert person.get("/auth/me").status_code == 200
    # Revoked behind the listener's back: no notification, as if said while none listened.
    db_cursor.execute(
        "INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES (%s, %s, now() + interval '1 hour')",
        (token_id(person.token), person.id),
    )
    assert person.get("/auth/me").status_code == 200  # this process has not heard of it
    db_cursor.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'parley-listener'"
    )
    eventually(
        lambda: all(refused(person, path) for path in READS),
        timeout=10,
        what="the listener reconnecting and reading the revocation",
    )
    eventually(lambda: requests.get(f"{base_url}/auth/healthz").status_code == 200, what="healthy again")


def token_id(token):
    return jwt.decode(token, options={"verify_signature": False})["jti"]
