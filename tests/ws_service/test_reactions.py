"""Reactions: one emoji per person and message, each change a stored room event with a seq,
counted in history; over HTTP and the socket."""

import urllib.parse

import pytest

THUMBS = "👍"


def reaction_path(room, message_id, emoji):
    return f"/ws/rooms/{room}/messages/{message_id}/reactions/{urllib.parse.quote(emoji)}"


def history(person, room):
    return person.get(f"/ws/rooms/{room}/messages").json()


@pytest.fixture
def room_with_a_message(person, new_person):
    bob = new_person().register().login()
    room = person.create_room()
    assert bob.post(f"/ws/rooms/{room}/members").status_code == 200
    message = person.post(f"/ws/rooms/{room}/messages", json={"content": "lunch?"}).json()
    return room, message, bob


def test_a_reaction_is_a_stored_event_counted_in_history_and_idempotent(person, room_with_a_message):
    room, message, bob = room_with_a_message
    watcher = person.connect(room)
    for reactor in (bob, person, bob):  # bob twice: the second changes nothing
        assert reactor.request("PUT", reaction_path(room, message["id"], THUMBS)).status_code == 200
    added = watcher.stored_events(2)
    assert added[0] == {
        "type": "reaction_added",
        "room_id": room,
        "seq": message["seq"] + 1,
        "id": message["id"],
        "emoji": THUMBS,
        "user": {"id": bob.id, "username": bob.username},
    }
    assert [e["user"]["id"] for e in added] == [bob.id, person.id]
    page = history(person, room)
    assert page["last_seq"] == message["seq"] + 2  # the repeat took no seq
    shown = next(e for e in page["events"] if e["type"] == "message")
    assert shown["reactions"] == [{"emoji": THUMBS, "count": 2, "user_ids": [bob.id, person.id]}]

    assert bob.request("DELETE", reaction_path(room, message["id"], THUMBS)).status_code == 204
    assert bob.request("DELETE", reaction_path(room, message["id"], THUMBS)).status_code == 204  # nothing left
    removed = watcher.stored_events(1)[0]
    assert (removed["type"], removed["seq"], removed["user"]["id"]) == ("reaction_removed", message["seq"] + 3, bob.id)
    page = history(person, room)
    assert page["last_seq"] == message["seq"] + 3
    assert next(e for e in page["events"] if e["type"] == "message")["reactions"] == [
        {"emoji": THUMBS, "count": 1, "user_ids": [person.id]}
    ]
    # Resumed with after=, the reaction events come back in order, with nothing missing.
    resumed = person.connect(room, after=message["seq"])
    assert [e["type"] for e in resumed.stored_events(3)] == ["reaction_added", "reaction_added", "reaction_removed"]


@pytest.mark.parametrize("emoji", ["👍", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"])
def test_one_emoji_of_any_make_is_one_reaction(person, room_with_a_message, emoji):
    room, message, _ = room_with_a_message
    assert person.request("PUT", reaction_path(room, message["id"], emoji)).status_code == 200
    reactions = next(e for e in history(person, room)["events"] if e["type"] == "message")["reactions"]
    assert [r["emoji"] for r in reactions] == [emoji]


@pytest.mark.parametrize("text", ["a", "ab", "👍👍", ":)", "👍 ", "x👍", "\u200d"])
def test_anything_but_one_emoji_is_400(person, room_with_a_message, text):
    room, message, _ = room_with_a_message
    response = person.request("PUT", reaction_path(room, message["id"], text))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_emoji"


def test_a_message_takes_twenty_different_emoji(person, room_with_a_message):
    room, message, bob = room_with_a_message
    twenty = [chr(0x1F600 + i) for i in range(20)]
    for emoji in twenty:
        assert person.request("PUT", reaction_path(room, message["id"], emoji)).status_code == 200
    refused = person.request("PUT", reaction_path(room, message["id"], "🦊"))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "too_many_reactions"
    # One of the twenty, by someone else: no new kind, so taken.
    assert bob.request("PUT", reaction_path(room, message["id"], twenty[0])).status_code == 200


def test_the_socket_reacts_too_and_refusals_name_the_message(person, room_with_a_message):
    room, message, bob = room_with_a_message
    socket = bob.connect(room)
    socket.send(type="react", id=message["id"], emoji="🎉")
    assert socket.stored_events(1)[0]["type"] == "reaction_added"
    socket.send(type="unreact", id=message["id"], emoji="🎉")
    assert socket.stored_events(1)[0]["type"] == "reaction_removed"
    socket.send(type="react", id=message["id"], emoji="not one")
    error = socket.receive_until(lambda f: f["type"] == "error")[-1]
    assert (error["code"], error["ref"]) == ("invalid_emoji", message["id"])
    socket.send(type="react", id=10**12, emoji="🎉")
    error = socket.receive_until(lambda f: f["type"] == "error")[-1]
    assert error["code"] == "message_not_found"


def test_who_may_react(person, new_person, room_with_a_message):
    room, message, bob = room_with_a_message
    stranger = new_person().register().login()
    assert stranger.request("PUT", reaction_path(room, message["id"], THUMBS)).status_code == 403  # public: join first
    private = person.create_room(private=True)
    hidden = person.post(f"/ws/rooms/{private}/messages", json={"content": "ours"}).json()
    assert stranger.request("PUT", reaction_path(private, hidden["id"], THUMBS)).status_code == 404
    socket = person.connect(room)
    socket.send(type="delete", id=message["id"])
    socket.stored_events(1)
    gone = bob.request("PUT", reaction_path(room, message["id"], THUMBS))
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "message_not_found")


def test_a_block_refuses_reactions_in_the_dm(person, new_person):
    bob = new_person().register().login()
    dm = person.post(f"/ws/dm/{bob.id}").json()["id"]
    message = person.post(f"/ws/rooms/{dm}/messages", json={"content": "hi"}).json()
    assert bob.request("PUT", reaction_path(dm, message["id"], THUMBS)).status_code == 200
    assert person.post(f"/users/block?userId={bob.id}").status_code == 200
    refused = bob.request("PUT", reaction_path(dm, message["id"], "😡"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "blocked")
    assert person.request("PUT", reaction_path(dm, message["id"], "😡")).status_code == 403
