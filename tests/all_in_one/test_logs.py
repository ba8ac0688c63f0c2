"""The all-in-one process logs JSON lines: each request once, with its request id, and never a
password, a token or a cookie."""
import json
import time
import uuid

import requests

from tests.conftest import Person, assert_no_secret_in


def test_each_request_is_one_json_line_with_its_id_and_no_secret(server):
    person = Person(server.url, password=f"secret-{uuid.uuid4().hex}").register().login()
    me = person.get("/auth/me", headers={"X-Request-ID": f"probe-{uuid.uuid4().hex}"})
    person.get("/users/feed", cookies={"parley_token": person.token})
    wrong = f"wrong-{uuid.uuid4().hex}"
    assert requests.post(f"{server.url}/auth/login", json={"username": person.username, "password": wrong}).status_code == 401
    time.sleep(0.3)
    lines = server.output_path.read_text(errors="replace").splitlines()
    assert_no_secret_in(lines, person, wrong)
    entries = [json.loads(line) for line in lines]  # every line is JSON
    request_id = me.headers["X-Request-ID"]
    assert request_id.startswith("probe-")  # the caller's (the gateway's) id is kept
    [line] = [entry for entry in entries if entry.get("request_id") == request_id]
    assert (line["logger"], line["service"], line["path"], line["status"], line["user_id"]) == (
        "parley.access", "auth_service", "/me", 200, person.id)
    assert line["method"] == "GET" and line["duration_ms"] >= 0
