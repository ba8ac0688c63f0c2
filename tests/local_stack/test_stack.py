"""`make stack`'s process tree for real (conftest.py starts it): nginx with the repo's config in front of gunicorn
processes, two ws_service replicas sharing Redis."""

import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from all_in_one.gateway import WEB_SECURITY_HEADERS
from tests.conftest import (
    METRICS_HEADERS,
    Person,
    assert_no_secret_in,
    eventually,
    raw_http,
)
from tests.ws_service.test_fan_out_faults import Follower, history, keep_sending

pytestmark = pytest.mark.stack


def ws_service_pids(stack):
    found = subprocess.run(
        ["pgrep", "-f", "ws_service.wsgi:app", "-P", str(stack["process"].pid)], capture_output=True, text=True
    ).stdout.split()
    return [int(pid) for pid in found]


def test_the_whole_auth_flow_through_nginx(stack):
    person = Person(stack["url"]).register().login()
    assert person.get("/auth/me").json()["id"] == person.id
    assert person.get(f"/users/{person.id}").json()["username"] == person.username
    assert person.post("/auth/logout").status_code == 202
    # user_service is another process: its listener hears of the logout within milliseconds.
    eventually(lambda: person.get("/users/feed").status_code == 401, timeout=1, what="the logout reaching user_service")


def test_nginx_passes_a_request_id_and_serves_the_web_client_with_cache_headers(stack):
    me = requests.get(f"{stack['url']}/auth/me")
    assert re.fullmatch(r"[0-9a-f]{32}", me.headers["X-Request-ID"])
    page = requests.get(f"{stack['url']}/")
    assert page.status_code == 200 and "<title>Parley</title>" in page.text
    assert "max-age" in page.headers["Cache-Control"]


def test_nginx_sets_the_web_clients_security_headers_as_the_all_in_one_process_does(stack):
    for path in ("/", "/app.js"):
        response = requests.get(f"{stack['url']}{path}")
        assert response.status_code == 200
        assert {name: response.headers.get(name) for name in WEB_SECURITY_HEADERS} == WEB_SECURITY_HEADERS


def test_nginx_answers_its_own_errors_with_the_envelope(stack):
    too_big = requests.post(f"{stack['url']}/auth/register", data=b"x" * (100 * 1024))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    missing = requests.get(f"{stack['url']}/no-such-file.js")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    overlong = requests.get(f"{stack['url']}/ws/getRooms?q={'x' * 9000}")
    assert overlong.status_code == 414
    assert overlong.json()["error"]["code"] == "uri_too_long"
    garbled = raw_http(stack["url"], b"NOT HTTP AT ALL\r\n\r\n")
    assert garbled.startswith(b"HTTP/1.1 400") and b'"code":"bad_request"' in garbled


def test_a_thread_a_reaction_and_a_search_work_through_nginx_across_replicas(stack):
    ada, bob = (Person(stack["url"]).register().login() for _ in range(2))
    room = ada.create_room()
    assert bob.post(f"/ws/rooms/{room}/members").status_code == 200
    sockets = [person.connect(room) for person in (ada, bob, ada, bob)]  # spread over both replicas
    word = f"w{uuid.uuid4().hex[:10]}"
    root = ada.post(f"/ws/rooms/{room}/messages", json={"content": f"the {word} plan"}).json()
    bob.post(f"/ws/rooms/{room}/messages", json={"content": "agreed", "reply_to": root["id"]})
    assert bob.request("PUT", f"/ws/rooms/{room}/messages/{root['id']}/reactions/%F0%9F%91%8D").status_code == 200
    for socket in sockets:
        kinds = [(e["type"], e.get("reply_to")) for e in socket.stored_events(3)]
        assert kinds == [("message", None), ("message", root["id"]), ("reaction_added", None)]
    assert [r["content"] for r in ada.get(f"/ws/rooms/{room}/messages/{root['id']}/replies").json()["replies"]] == [
        "agreed"
    ]
    assert [r["id"] for r in bob.get("/ws/search", params={"q": word}).json()["results"]] == [root["id"]]


def test_a_file_goes_up_through_nginx_and_is_served_by_every_replica(stack):
    ada, bob = (Person(stack["url"]).register().login() for _ in range(2))
    room = ada.create_room()
    assert bob.post(f"/ws/rooms/{room}/members").status_code == 200
    data = os.urandom(3 * 1024 * 1024)  # over the gateway's 64 KiB for other bodies
    upload = ada.post(f"/ws/rooms/{room}/attachments", files={"file": ("noise.bin", data)})
    assert upload.status_code == 201, upload.text
    file = upload.json()
    assert ada.post(f"/ws/rooms/{room}/messages", json={"content": "", "attachments": [file["id"]]}).status_code == 201
    for _ in range(4):  # nginx takes turns between the replicas: each reads it from the database
        served = bob.get(file["url"])
        assert served.content == data
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    # Over the limit: ws_service's own refusal just over it, nginx's far over it; both in the envelope.
    for size, code in ((10 * 1024 * 1024 + 1, "attachment_too_large"), (11 * 1024 * 1024, "payload_too_large")):
        refused = ada.post(f"/ws/rooms/{room}/attachments", files={"file": ("big.bin", b"x" * size)})
        assert (refused.status_code, refused.json()["error"]["code"]) == (413, code)
    # Other routes keep the small limit.
    assert ada.post(f"/ws/rooms/{room}/messages", data=b"x" * (100 * 1024)).status_code == 413


def test_websockets_through_nginx_reach_each_other_across_replicas(stack):
    people = [Person(stack["url"]).register().login() for _ in range(4)]
    room = people[0].create_room()
    sockets = [p.connect(room) for p in people]  # nginx spreads them over both replicas
    sockets[0].send(type="send", content="through the gateway", client_id="gw-1")
    for socket in sockets:
        assert socket.stored_events(1)[0]["content"] == "through the gateway"


def test_a_dm_with_typing_and_a_read_mark_works_through_nginx_across_replicas(stack):
    ada, bob = (Person(stack["url"]).register().login() for _ in range(2))
    room = ada.post(f"/ws/dm/{bob.id}").json()["id"]
    bob_sockets = [bob.connect(room) for _ in range(2)]  # nginx spreads them over both replicas
    ada_socket = ada.connect(room)
    ada_socket.send(type="typing")
    ada_socket.send(type="send", content=f"hi @{bob.username}", client_id="dm-1")
    for socket in bob_sockets:
        frames = socket.receive_until(lambda f: f.get("content") == f"hi @{bob.username}")
        assert "typing" in [f["type"] for f in frames]
    assert {r["id"]: r for r in bob.get("/ws/getRooms").json()["rooms"]}[room]["unread"] == 1
    bob_sockets[0].send(type="read", seq=1)
    deadline = time.monotonic() + 5
    while {r["id"]: r for r in bob.get("/ws/getRooms").json()["rooms"]}[room]["unread"] != 0:
        assert time.monotonic() < deadline, "the read mark never arrived"
        time.sleep(0.1)
    assert [m["content"] for m in bob.get("/ws/mentions").json()["mentions"]] == [f"hi @{bob.username}"]


def test_a_dm_reaches_the_others_event_streams_through_nginx_across_replicas(stack):
    ada, bob = (Person(stack["url"]).register().login() for _ in range(2))
    streams = [bob.events() for _ in range(2)]  # nginx spreads them over both replicas
    room = ada.post(f"/ws/dm/{bob.id}").json()["id"]
    ada.post(f"/ws/rooms/{room}/messages", json={"content": "hello"})
    for stream in streams:
        added = stream.receive()
        assert (added["type"], added["room"]["id"], added["room"]["unread"]) == ("room_added", room, 1)
    sent = ada.post(f"/ws/rooms/{room}/messages", json={"content": f"@{bob.username} you there?"}).json()
    for stream in streams:
        activity = stream.receive()
        assert (activity["type"], activity["seq"], activity["mention"]) == ("activity", sent["seq"], True)


def test_the_long_poll_is_not_cut_by_nginx(stack):
    person = Person(stack["url"]).register().login()
    room = person.create_room()
    started = time.monotonic()
    response = person.get(f"/ws/rooms/{room}/messages?after=0&wait=30")
    assert response.status_code == 200
    assert response.json() == {"events": [], "last_seq": 0}
    assert time.monotonic() - started >= 29


def test_a_killed_replica_loses_no_message_and_its_clients_reconnect_through_nginx(stack):
    sender = Person(stack["url"]).register().login()
    room = sender.create_room()
    followers = [Follower(Person(stack["url"]).register().login(), room, [stack["url"]]) for _ in range(4)]
    total = 60
    sending = threading.Thread(target=keep_sending, args=(sender, room, total))
    sending.start()
    while min(len(f.events) for f in followers) < 10:
        time.sleep(0.01)
    pids = ws_service_pids(stack)
    assert len(pids) >= 2
    os.kill(pids[0], signal.SIGKILL)
    sending.join()
    stored = history(sender, room)
    assert len(stored) == total
    for follower in followers:
        assert follower.wait_for(total) == stored


def test_logs_are_json_lines_that_follow_a_request_from_nginx_to_the_service_and_hold_no_secret(stack):
    person = Person(stack["url"], password=f"secret-{uuid.uuid4().hex}").register().login()
    me = person.get("/auth/me")
    person.get("/users/feed", cookies={"parley_token": person.token})
    wrong = f"wrong-{uuid.uuid4().hex}"
    assert (
        requests.post(f"{stack['url']}/auth/login", json={"username": person.username, "password": wrong}).status_code
        == 401
    )
    time.sleep(0.5)
    lines = Path(stack["log"]).read_text(errors="replace").splitlines()
    assert_no_secret_in(lines, person, wrong)
    entries = [json.loads(line) for line in lines]  # every line, gunicorn's and nginx's too
    by_id = [entry for entry in entries if entry.get("request_id") == me.headers["X-Request-ID"]]
    nginx_line = next(entry for entry in by_id if "upstream" in entry)
    service_line = next(entry for entry in by_id if entry.get("logger") == "parley.access")
    assert nginx_line["path"] == "/auth/me" and nginx_line["status"] == 200
    assert (service_line["process"], service_line["path"], service_line["status"], service_line["user_id"]) == (
        "auth_service",
        "/me",
        200,
        person.id,
    )  # nginx passes the path without its /auth prefix


def test_nginx_never_shows_the_services_metrics(stack):
    for prefix in ("/auth", "/users", "/ws"):
        hidden = requests.get(f"{stack['url']}{prefix}/metrics", headers=METRICS_HEADERS)
        assert hidden.status_code == 404
        assert hidden.json()["error"]["code"] == "not_found"
