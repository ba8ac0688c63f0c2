"""Replies: a send names the message it answers; threads are flat (a reply to a reply joins the
root's thread); roots in history count their replies; GET .../replies lists a thread."""

import pytest


def history(person, room, **params):
    return person.get(f"/ws/rooms/{room}/messages", params=params).json()


def send(person, room, content, **fields):
    return person.post(f"/ws/rooms/{room}/messages", json={"content": content, **fields})


def replies(person, room, root_id, **params):
    return person.get(f"/ws/rooms/{room}/messages/{root_id}/replies", params=params)


def delete(person, room, message_id):
    """Delete a message over the socket (edits and deletes have no HTTP route), once stored."""
    socket = person.connect(room, after=history(person, room)["last_seq"])
    socket.send(type="delete", id=message_id)
    deleted = socket.stored_events(1)[0]
    assert (deleted["type"], deleted["id"]) == ("message_deleted", message_id)
    socket.close()


@pytest.fixture
def thread(person, new_person):
    """A room of `person` and bob with a root message: (room, root, bob)."""
    bob = new_person().register().login()
    room = person.create_room()
    assert bob.post(f"/ws/rooms/{room}/members").status_code == 200
    root = send(person, room, "who's in for lunch?").json()
    return room, root, bob


def test_a_reply_names_its_root_and_the_root_counts_it_in_history(person, thread):
    room, root, bob = thread
    assert root["reply_to"] is None
    first = send(bob, room, "me", reply_to=root["id"])
    assert first.status_code == 201
    assert first.json()["reply_to"] == root["id"]
    # A reply to a reply belongs to the same thread.
    second = send(person, room, "great, 12:30?", reply_to=first.json()["id"]).json()
    assert second["reply_to"] == root["id"]

    events = {e["id"]: e for e in history(person, room)["events"]}
    assert events[root["id"]]["reply_count"] == 2
    assert events[root["id"]]["last_reply_at"] == second["created_at"]
    # Replies are in the room's history like any message, and have no thread of their own.
    assert events[second["id"]]["reply_to"] == root["id"]
    assert "reply_count" not in events[second["id"]]


def test_replies_lists_a_thread_in_order_in_pages(person, thread):
    room, root, bob = thread
    sent = [send(bob if n % 2 else person, room, f"reply {n}", reply_to=root["id"]).json() for n in range(5)]
    send(person, room, "not in the thread")
    first = replies(person, room, root["id"], limit=3).json()
    assert [r["content"] for r in first["replies"]] == ["reply 0", "reply 1", "reply 2"]
    assert first["replies"][0] == {**sent[0], "reactions": []}
    rest = replies(person, room, root["id"], after_id=first["next_after_id"], limit=3).json()
    assert [r["content"] for r in rest["replies"]] == ["reply 3", "reply 4"]
    assert rest["next_after_id"] is None


def test_a_deleted_reply_leaves_the_thread_and_its_count(person, thread):
    room, root, bob = thread
    kept = send(bob, room, "kept", reply_to=root["id"]).json()
    gone = send(bob, room, "gone", reply_to=root["id"]).json()
    delete(bob, room, gone["id"])
    assert [r["id"] for r in replies(person, room, root["id"]).json()["replies"]] == [kept["id"]]
    events = {e["id"]: e for e in history(person, room)["events"] if e["type"] == "message"}
    assert (events[root["id"]]["reply_count"], events[root["id"]]["last_reply_at"]) == (1, kept["created_at"])


def test_a_reply_to_what_is_not_in_the_room_is_404_and_stores_nothing(person, thread):
    room, _, bob = thread
    elsewhere = person.create_room()
    other = send(person, elsewhere, "another room's").json()
    deleted = send(person, room, "soon gone").json()
    delete(person, room, deleted["id"])
    last_seq = history(person, room)["last_seq"]
    for target in (other["id"], deleted["id"], 999_999_999):
        answer = send(bob, room, "hm", reply_to=target)
        assert answer.status_code == 404, target
        assert answer.json()["error"]["code"] == "message_not_found"
    assert history(person, room)["last_seq"] == last_seq  # no seq taken, nothing stored


@pytest.mark.parametrize("reply_to", ["1", 0, -3, 1.5, True, [1], {"id": 1}])
def test_a_reply_to_that_is_no_message_id_is_400(person, thread, reply_to):
    room, _, _ = thread
    answer = send(person, room, "hm", reply_to=reply_to)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "wrong_type"


def test_a_repeated_send_of_a_reply_is_the_stored_one_even_if_its_root_is_gone(person, thread):
    room, root, bob = thread
    first = send(bob, room, "me too", reply_to=root["id"], client_id="r-1")
    delete(person, room, root["id"])
    again = send(bob, room, "me too", reply_to=root["id"], client_id="r-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


def test_replies_over_the_socket_are_gapless_events_that_resume_with_after(person, thread):
    room, root, bob = thread
    sender = bob.connect(room, after=root["seq"])
    sender.send(type="send", content="over the socket", client_id="s-1", reply_to=root["id"])
    stored = sender.stored_events(1)[0]
    assert (stored["seq"], stored["reply_to"], stored["client_id"]) == (root["seq"] + 1, root["id"], "s-1")
    sender.send(type="send", content="to nothing", client_id="s-2", reply_to=999_999_999)
    refused = sender.receive_until(lambda frame: frame["type"] == "error")[-1]
    assert (refused["code"], refused["ref"]) == ("message_not_found", "s-2")
    sender.send(type="send", content="again", client_id="s-3", reply_to=stored["id"])
    assert sender.stored_events(1)[0]["seq"] == root["seq"] + 2
    # Resumed from before the thread, the replies come back in order, with nothing missing.
    resumed = person.connect(room, after=root["seq"])
    assert [(e["seq"], e["reply_to"]) for e in resumed.stored_events(2)] == [
        (root["seq"] + 1, root["id"]),
        (root["seq"] + 2, root["id"]),
    ]


def test_replies_of_a_room_are_for_its_members(person, new_person, thread):
    room, root, _ = thread
    stranger = new_person().register().login()
    answer = replies(stranger, room, root["id"])
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "not_a_member"
    private = person.create_room(private=True)
    secret = send(person, private, "secret").json()
    assert replies(stranger, private, secret["id"]).status_code == 404
    unknown = replies(person, room, 999_999_999)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "message_not_found"
