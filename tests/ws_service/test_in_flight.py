"""A socket's sends in flight (ws_service/in_flight.py): the reader hands each send to the committer
and reads on, so one client's burst is stored in batches, in the order sent, each send answered once,
and none read before the client closed is lost."""

import pytest

from tests.conftest import Person, server_of_its_own
from tests.ws_service.test_group_commit import batches_so_far


@pytest.fixture(scope="module")
def burst_server(database_url, tmp_path_factory):
    """The all-in-one with a rate limit no burst here reaches."""
    yield from server_of_its_own(
        database_url, tmp_path_factory, "in-flight", {"MESSAGE_RATE_PER_SECOND": "10000", "MESSAGE_BURST": "10000"}
    )


@pytest.fixture
def sender_and_listener(burst_server):
    sender = Person(burst_server.url).register().login()
    listener = Person(burst_server.url).register().login()
    room = sender.create_room()
    assert listener.post(f"/ws/rooms/{room}/members").status_code == 200
    return sender, listener, room


def test_a_burst_from_one_socket_is_stored_in_order_in_fewer_commits_than_messages(burst_server, sender_and_listener):
    sender, listener, room = sender_and_listener
    listening, sending = listener.connect(room), sender.connect(room)
    batches_before, messages_before = batches_so_far(burst_server.url)
    for i in range(200):
        sending.send(type="send", content=f"burst {i}", client_id=f"b-{i}")
    events = listening.stored_events(200)
    assert [(e["seq"], e["content"]) for e in events] == [(i + 1, f"burst {i}") for i in range(200)]
    batches_after, messages_after = batches_so_far(burst_server.url)
    assert messages_after - messages_before == 200
    # One commit per message would be 200: the reader read on while earlier sends were stored.
    assert batches_after - batches_before <= 100


def test_sends_read_before_the_client_closed_are_all_stored(sender_and_listener):
    sender, listener, room = sender_and_listener
    listening, sending = listener.connect(room), sender.connect(room)
    for i in range(50):
        sending.send(type="send", content=f"last words {i}", client_id=f"l-{i}")
    sending.close()
    assert [e["content"] for e in listening.stored_events(50)] == [f"last words {i}" for i in range(50)]


def test_a_repeat_within_a_burst_is_answered_to_its_sender_alone_and_stored_once(sender_and_listener):
    sender, listener, room = sender_and_listener
    listening, sending = listener.connect(room), sender.connect(room)
    for content, client_id in (("first", "r-1"), ("second", "r-2"), ("first again", "r-1"), ("third", "r-3")):
        sending.send(type="send", content=content, client_id=client_id)
    assert [e["content"] for e in listening.stored_events(3)] == ["first", "second", "third"]
    # The sender sees the three messages, and the stored "first" once more: its repeat's answer.
    seen = [e["content"] for e in sending.stored_events(4)]
    assert sorted(seen) == ["first", "first", "second", "third"]
    assert [e["content"] for e in sender.get(f"/ws/rooms/{room}/messages").json()["events"]] == [
        "first",
        "second",
        "third",
    ]
