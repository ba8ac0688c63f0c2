"""The all-in-one process logs JSON lines (or plain ones with LOG_FORMAT=text): each request once, with
its request id, and never a password, a token or a cookie. Apart from them, on stdout, it tells the
person who started it where Parley is."""

import json
import uuid

import requests

from tests.conftest import Person, RunningServer, assert_no_secret_in, eventually


def test_each_request_is_one_json_line_with_its_id_and_no_secret(server):
    person = Person(server.url, password=f"secret-{uuid.uuid4().hex}").register().login()
    me = person.get("/auth/me", headers={"X-Request-ID": f"probe-{uuid.uuid4().hex}"})
    person.get("/users/feed", cookies={"parley_token": person.token})
    wrong = f"wrong-{uuid.uuid4().hex}"
    login = requests.post(f"{server.url}/auth/login", json={"username": person.username, "password": wrong})
    assert login.status_code == 401
    # The wrong login is the last request: once its line is there, so are the others'.
    eventually(lambda: login.headers["X-Request-ID"] in server.output_path.read_text(errors="replace"))
    lines = server.log_lines()
    assert_no_secret_in(lines, person, wrong)
    entries = [json.loads(line) for line in lines]  # every line is JSON
    request_id = me.headers["X-Request-ID"]
    assert request_id.startswith("probe-")  # the caller's (the gateway's) id is kept
    [line] = [entry for entry in entries if entry.get("request_id") == request_id]
    assert (line["logger"], line["service"], line["path"], line["status"], line["user_id"]) == (
        "parley.access",
        "auth_service",
        "/me",
        200,
        person.id,
    )
    assert line["method"] == "GET" and line["duration_ms"] >= 0


def test_the_process_says_where_parley_is_in_one_plain_line(server):
    assert server.stdout_path.read_text().splitlines() == [f"Parley is running at http://localhost:{server.port}"]


def test_with_log_format_text_the_lines_are_plain(database_url, tmp_path):
    server = RunningServer({"DATABASE_URL": database_url, "LOG_FORMAT": "text"}, tmp_path / "server.log")
    try:
        me = requests.get(f"{server.url}/auth/me", headers={"X-Request-ID": f"probe-{uuid.uuid4().hex}"})
        assert me.status_code == 401
        request_id = me.headers["X-Request-ID"]
        [line] = eventually(lambda: [line for line in server.log_lines() if request_id in line])
        assert not line.startswith("{")
        assert " info all_in_one parley.access: request " in line
        assert f"request_id={request_id}" in line and "path=/me" in line and "status=401" in line
    finally:
        server.stop()
