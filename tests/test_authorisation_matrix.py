"""Who may do what: every route of the three services, the WebSocket upgrade and each client frame,
against each kind of caller: no token, an expired one, a revoked one, someone outside the room
(`stranger`), a member and the room's owner. Each cell is the status (or frame) the contract gives.

Every case starts from rooms of its own, so that one case's change (a rename, a deletion) is no
other case's premise."""

import dataclasses
import uuid
from types import SimpleNamespace

import pytest
import requests
import websocket

from shared.tokens import issue_token
from tests.conftest import Person

ANONYMOUS, EXPIRED, REVOKED = "anonymous", "expired", "revoked"
STRANGER, MEMBER, OWNER = "stranger", "member", "owner"
SIGNED_IN = (STRANGER, MEMBER, OWNER)
REFUSED_TOKEN = {ANONYMOUS: "missing_token", EXPIRED: "token_expired", REVOKED: "token_revoked"}


@pytest.fixture(scope="module")
def people(base_url, config):
    owner, member, stranger, target = (Person(base_url).register().login() for _ in range(4))
    revoked = Person(base_url).register().login()
    assert revoked.post("/auth/logout").status_code == 202
    expired = Person(base_url).register()
    expired.token, _ = issue_token(dataclasses.replace(config, token_ttl_seconds=-1), expired.id)
    anonymous = Person(base_url)
    return {
        OWNER: owner,
        MEMBER: member,
        STRANGER: stranger,
        REVOKED: revoked,
        EXPIRED: expired,
        ANONYMOUS: anonymous,
        "target": target,
    }


def fresh_rooms(people):
    """A private and a public room of the owner's, each with the member in it, one message of each,
    and a message of the owner's with a file."""
    owner, member = people[OWNER], people[MEMBER]
    rooms = {}
    for kind, private in (("private", True), ("public", False)):
        room_id = owner.create_room(private=private)
        if private:  # the owner adds people to a private room; anyone joins a public one
            assert owner.post(f"/ws/rooms/{room_id}/members", json={"user_id": member.id}).status_code == 200
        else:
            assert member.post(f"/ws/rooms/{room_id}/members").status_code == 200
        messages = {
            who: people[who].post(f"/ws/rooms/{room_id}/messages", json={"content": f"from {who}"}).json()["id"]
            for who in (OWNER, MEMBER)
        }
        file = owner.post(f"/ws/rooms/{room_id}/attachments", files={"file": UPLOADED_FILE}).json()["id"]
        sent = owner.post(f"/ws/rooms/{room_id}/messages", json={"content": "a file", "attachments": [file]})
        assert sent.status_code == 201, sent.text
        rooms[kind] = SimpleNamespace(id=room_id, messages=messages, file=file)
    return rooms


# A body sent as multipart/form-data, in a part named `file` (an upload), rather than as JSON.
UPLOADED_FILE = ("notes.txt", b"the minutes")

# (name, method, path, body, {room kind: {caller: status}} or {caller: status}).
# Paths are formatted with the room, the owner's message and file in it, and the untouched `target` user.
ROOM_ROUTES = [
    (
        "getClients",
        "GET",
        "/ws/getClients/{room}",
        None,
        {"private": {STRANGER: 404, MEMBER: 200, OWNER: 200}, "public": {STRANGER: 200, MEMBER: 200, OWNER: 200}},
    ),
    (
        "join",
        "POST",
        "/ws/rooms/{room}/members",
        None,
        {"private": {STRANGER: 404, MEMBER: 200, OWNER: 200}, "public": {STRANGER: 200, MEMBER: 200, OWNER: 200}},
    ),
    (
        "add member",
        "POST",
        "/ws/rooms/{room}/members",
        {"user_id": "{target}"},
        {"private": {STRANGER: 404, MEMBER: 403, OWNER: 200}, "public": {STRANGER: 403, MEMBER: 403, OWNER: 200}},
    ),
    (
        "leave",
        "DELETE",
        "/ws/rooms/{room}/members/me",
        None,
        {"private": {STRANGER: 404, MEMBER: 204, OWNER: 204}, "public": {STRANGER: 403, MEMBER: 204, OWNER: 204}},
    ),
    (
        "rename",
        "PATCH",
        "/ws/rooms/{room}",
        {"name": "renamed {uuid}"},
        {"private": {STRANGER: 404, MEMBER: 403, OWNER: 200}, "public": {STRANGER: 403, MEMBER: 403, OWNER: 200}},
    ),
    (
        "delete room",
        "DELETE",
        "/ws/rooms/{room}",
        None,
        {"private": {STRANGER: 404, MEMBER: 403, OWNER: 204}, "public": {STRANGER: 403, MEMBER: 403, OWNER: 204}},
    ),
    (
        "read history",
        "GET",
        "/ws/rooms/{room}/messages?after=0",
        None,
        {"private": {STRANGER: 404, MEMBER: 200, OWNER: 200}, "public": {STRANGER: 403, MEMBER: 200, OWNER: 200}},
    ),
    (
        "send over HTTP",
        "POST",
        "/ws/rooms/{room}/messages",
        {"content": "hello"},
        {"private": {STRANGER: 404, MEMBER: 201, OWNER: 201}, "public": {STRANGER: 403, MEMBER: 201, OWNER: 201}},
    ),
    (
        "reply over HTTP",
        "POST",
        "/ws/rooms/{room}/messages",
        {"content": "re", "reply_to": "{message}"},
        {"private": {STRANGER: 404, MEMBER: 201, OWNER: 201}, "public": {STRANGER: 403, MEMBER: 201, OWNER: 201}},
    ),
    (
        "read a thread",
        "GET",
        "/ws/rooms/{room}/messages/{message}/replies",
        None,
        {"private": {STRANGER: 404, MEMBER: 200, OWNER: 200}, "public": {STRANGER: 403, MEMBER: 200, OWNER: 200}},
    ),
    (
        "upload a file",
        "POST",
        "/ws/rooms/{room}/attachments",
        UPLOADED_FILE,
        {"private": {STRANGER: 404, MEMBER: 201, OWNER: 201}, "public": {STRANGER: 403, MEMBER: 201, OWNER: 201}},
    ),
    (
        "download a file",
        "GET",
        "/ws/rooms/{room}/attachments/{file}",
        None,
        {"private": {STRANGER: 404, MEMBER: 200, OWNER: 200}, "public": {STRANGER: 404, MEMBER: 200, OWNER: 200}},
    ),
    (
        "mark read",
        "POST",
        "/ws/rooms/{room}/read",
        {"seq": 1},
        {"private": {STRANGER: 404, MEMBER: 204, OWNER: 204}, "public": {STRANGER: 403, MEMBER: 204, OWNER: 204}},
    ),
    (
        "react",
        "PUT",
        "/ws/rooms/{room}/messages/{message}/reactions/%F0%9F%91%8D",
        None,
        {"private": {STRANGER: 404, MEMBER: 200, OWNER: 200}, "public": {STRANGER: 403, MEMBER: 200, OWNER: 200}},
    ),
    (
        "unreact",
        "DELETE",
        "/ws/rooms/{room}/messages/{message}/reactions/%F0%9F%91%8D",
        None,
        {"private": {STRANGER: 404, MEMBER: 204, OWNER: 204}, "public": {STRANGER: 403, MEMBER: 204, OWNER: 204}},
    ),
]

EVERYONE = {STRANGER: None, MEMBER: None, OWNER: None}  # None: the route's own success status
ACCOUNT_ROUTES = [
    ("me", "GET", "/auth/me", None, 200),
    ("logout", "POST", "/auth/logout", None, 202),
    ("list users", "GET", "/users/list", None, 200),
    ("profile", "GET", "/users/{target}", None, 200),
    ("profile by name", "GET", "/users/by-username/{target_name}", None, 200),
    ("followers", "GET", "/users/{target}/followers", None, 200),
    ("following", "GET", "/users/{target}/following", None, 200),
    ("follow", "POST", "/users/follow?toFollowId={target}", None, 200),
    ("unfollow", "POST", "/users/unfollow?toUnfollowId={target}", None, 200),
    ("delete account", "DELETE", "/users/delete", None, 204),
    ("post", "POST", "/users/posts", {"content": "a post"}, 201),
    ("posts", "GET", "/users/{target}/posts", None, 200),
    ("feed", "GET", "/users/feed", None, 200),
    ("create room", "POST", "/ws/createRoom", {"name": "room {uuid}"}, 200),
    ("get rooms", "GET", "/ws/getRooms", None, 200),
    ("open a DM", "POST", "/ws/dm/{target}", None, 200),
    ("mentions", "GET", "/ws/mentions", None, 200),
    ("search", "GET", "/ws/search?q=tea", None, 200),
    ("settings", "GET", "/users/me/settings", None, 200),
    ("change settings", "PATCH", "/users/me/settings", {"dms_from": "everyone"}, 200),
    ("block", "POST", "/users/block?userId={target}", None, 200),
    ("unblock", "POST", "/users/unblock?userId={target}", None, 200),
]
PUBLIC_ROUTES = [
    *(f"/{service}/{path}" for service in ("auth", "users", "ws") for path in ("", "openapi.json", "limits"))
]


def filled(template, **values):
    if isinstance(template, dict):
        return {key: filled(value, **values) for key, value in template.items()}
    if template in ("{target}", "{message}"):  # an id in a JSON body: a number
        return values[template[1:-1]]
    if isinstance(template, str):
        return template.format(uuid=uuid.uuid4().hex[:8], **values)
    return template


def call(caller, method, path, body):
    if body is UPLOADED_FILE:
        return caller.request(method, path, files={"file": body})
    return caller.request(method, path, **({"json": body} if body is not None else {}))


def assert_refused_token(response, caller_kind):
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == REFUSED_TOKEN[caller_kind]


ROOM_CASES = [
    (name, kind, caller)
    for name, *_, expected in ROOM_ROUTES
    for kind in expected
    for caller in (*REFUSED_TOKEN, *SIGNED_IN)
]


@pytest.mark.parametrize("name, kind, caller", ROOM_CASES)
def test_room_route(people, name, kind, caller):
    _, method, path, body, expected = next(route for route in ROOM_ROUTES if route[0] == name)
    room = fresh_rooms(people)[kind]
    values = {"room": room.id, "target": people["target"].id, "message": room.messages[OWNER], "file": room.file}
    response = call(people[caller], method, filled(path, **values), filled(body, **values))
    if caller in REFUSED_TOKEN:
        assert_refused_token(response, caller)
    else:
        assert response.status_code == expected[kind][caller], response.text


def fresh_person(people):
    return Person(people[OWNER].base_url).register().login()


@pytest.mark.parametrize(
    "name, caller", [(route[0], caller) for route in ACCOUNT_ROUTES for caller in (*REFUSED_TOKEN, STRANGER)]
)
def test_account_route(people, name, caller):
    """Routes about the caller's own account: anyone signed in, and no one else."""
    _, method, path, body, success = next(route for route in ACCOUNT_ROUTES if route[0] == name)
    target = people["target"]
    # A signed-in caller of its own, since logout and deletion end it, and follows change it.
    subject = people[caller] if caller in REFUSED_TOKEN else fresh_person(people)
    if name == "unfollow" and caller not in REFUSED_TOKEN:
        assert subject.post(f"/users/follow?toFollowId={target.id}").status_code == 200
    response = call(
        subject, method, filled(path, target=target.id, target_name=target.username), filled(body, target=target.id)
    )
    if caller in REFUSED_TOKEN:
        assert_refused_token(response, caller)
    else:
        assert response.status_code == success, response.text


@pytest.mark.parametrize("path", PUBLIC_ROUTES)
def test_banners_and_documents_need_no_token(base_url, path):
    assert requests.get(f"{base_url}{path}").status_code == 200


def upgrade_status(person, room_id):
    url = person.ws_base_url.replace("http://", "ws://") + f"/ws/joinRoom/{room_id}"
    headers = [f"Authorization: Bearer {person.token}"] if person.token else []
    try:
        websocket.create_connection(url, header=headers, timeout=10).close()
        return 101
    except websocket.WebSocketBadStatusException as refused:
        return refused.status_code


UPGRADE = {"private": {STRANGER: 404, MEMBER: 101, OWNER: 101}, "public": {STRANGER: 101, MEMBER: 101, OWNER: 101}}


@pytest.mark.parametrize("kind", ["private", "public"])
def test_websocket_upgrade(people, kind):
    room = fresh_rooms(people)[kind]
    for caller in REFUSED_TOKEN:
        assert upgrade_status(people[caller], room.id) == 401, caller
    for caller in SIGNED_IN:
        assert upgrade_status(people[caller], room.id) == UPGRADE[kind][caller], caller


# What each member's frame does to a message of the owner's and of the member's: the event it
# publishes, or the error the sender alone gets.
FRAMES = [
    ("edit", MEMBER, MEMBER, "message_edited"),
    ("edit", MEMBER, OWNER, "not_the_author"),
    ("edit", OWNER, OWNER, "message_edited"),
    ("edit", OWNER, MEMBER, "not_the_author"),
    ("delete", MEMBER, MEMBER, "message_deleted"),
    ("delete", MEMBER, OWNER, "not_the_author"),
    ("delete", OWNER, OWNER, "message_deleted"),
    ("delete", OWNER, MEMBER, "message_deleted"),
    ("react", MEMBER, OWNER, "reaction_added"),
    ("react", OWNER, MEMBER, "reaction_added"),
    ("unreact", MEMBER, OWNER, "reaction_removed"),
    ("reply", MEMBER, OWNER, "message"),
    ("reply", OWNER, MEMBER, "message"),
    ("attach", MEMBER, MEMBER, "message"),  # "author": whose upload the send names
    ("attach", MEMBER, OWNER, "attachment_not_found"),
    ("attach", OWNER, MEMBER, "attachment_not_found"),
]


@pytest.mark.parametrize("kind", ["private", "public"])
@pytest.mark.parametrize("frame_type, sender, author, outcome", FRAMES)
def test_frame(people, kind, frame_type, sender, author, outcome):
    room = fresh_rooms(people)[kind]
    socket = people[sender].connect(room.id, after=10**6)
    try:
        frame = {"type": frame_type, "id": room.messages[author]}
        if frame_type == "edit":
            frame["content"] = "changed"
        if frame_type in ("react", "unreact"):
            frame["emoji"] = "👍"
        if frame_type == "unreact":  # a reaction of the sender's to take off
            socket.send(type="react", id=frame["id"], emoji="👍")
            socket.receive_until(lambda f: f["type"] == "reaction_added")
        if frame_type == "reply":
            frame = {"type": "send", "content": "re", "client_id": uuid.uuid4().hex, "reply_to": frame["id"]}
        if frame_type == "attach":
            uploaded = people[author].post(f"/ws/rooms/{room.id}/attachments", files={"file": UPLOADED_FILE})
            frame = {
                "type": "send",
                "content": "",
                "client_id": uuid.uuid4().hex,
                "attachments": [uploaded.json()["id"]],
            }
        socket.send(**frame)
        answers = ("error", "message", "message_edited", "message_deleted", "reaction_added", "reaction_removed")
        answer = socket.receive_until(lambda f: f["type"] in answers)[-1]
        assert answer.get("code", answer["type"]) == outcome, answer
        history = people[OWNER].get(f"/ws/rooms/{room.id}/messages?after=0").json()["events"]
        assert len(history) == 3 + (frame_type == "unreact") + (answer["type"] != "error")
    finally:
        socket.close()


@pytest.mark.parametrize("kind", ["private", "public"])
def test_sending_frames_takes_membership(people, kind):
    room = fresh_rooms(people)[kind]
    for caller in (MEMBER, OWNER):
        socket = people[caller].connect(room.id, after=10**6)
        socket.send(type="send", content=f"from {caller}", client_id=uuid.uuid4().hex)
        assert socket.stored_events(1)[0]["content"] == f"from {caller}"
        socket.close()
