"""Group commit (issue 16): the messages a process is asked to store at the same moment are stored
by one statement and one commit (ws_service/storage.py store_messages, ws_service/committer.py),
each with exactly the checks, seq and mentions it would get alone."""

import contextlib
import re
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import psycopg2.extras
import requests

from tests.conftest import METRICS_HEADERS, as_in_history
from ws_service import storage


@contextlib.contextmanager
def cursor_on(database_url):
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            yield cursor
    finally:
        conn.close()


def history(person, room):
    return person.get(f"/ws/rooms/{room}/messages?limit=500").json()["events"]


def test_one_batch_checks_numbers_and_mentions_each_message_as_if_alone(person, new_person, database_url):
    bob, carol = new_person().register().login(), new_person().register().login()
    first, second = person.create_room(), person.create_room()
    assert bob.post(f"/ws/rooms/{first}/members").status_code == 200
    dm = person.post(f"/ws/dm/{carol.id}").json()["id"]
    assert carol.post(f"/users/block?userId={person.id}").status_code == 200
    sends = [
        storage.Send(first, person.id, "one", "same-id"),
        storage.Send(second, person.id, "elsewhere", None),
        storage.Send(first, bob.id, f"two, @{person.username}", None, (person.username.lower(),)),
        storage.Send(first, person.id, "one again", "same-id"),  # a repeat within the batch
        storage.Send(second, bob.id, "not a member", None),
        storage.Send(dm, person.id, "blocked", None),
        storage.Send(first, person.id, "three", None),
    ]
    with cursor_on(database_url) as cursor:
        outcomes = storage.store_messages(cursor, sends)
    assert [outcome for outcome, _ in outcomes] == [
        "stored",
        "stored",
        "stored",
        "repeated",
        "not_a_member",
        "blocked",
        "stored",
    ]
    # Each room's seqs are gapless, in the batch's order.
    assert [(e["seq"], e["content"]) for e in history(person, first)] == [
        (1, "one"),
        (2, f"two, @{person.username}"),
        (3, "three"),
    ]
    assert [(e["seq"], e["content"]) for e in history(person, second)] == [(1, "elsewhere")]
    assert [row["seq"] for _, row in outcomes if row] == [1, 1, 2, 3]
    assert [m["content"] for m in person.get("/ws/mentions").json()["mentions"]] == [f"two, @{person.username}"]
    assert history(person, dm) == []


def test_a_batch_threads_each_reply_to_its_root_and_refuses_one_to_another_room(person, database_url):
    room, elsewhere = person.create_room(), person.create_room()
    root = person.post(f"/ws/rooms/{room}/messages", json={"content": "root"}).json()
    reply = person.post(f"/ws/rooms/{room}/messages", json={"content": "reply", "reply_to": root["id"]}).json()
    foreign = person.post(f"/ws/rooms/{elsewhere}/messages", json={"content": "not here"}).json()
    sends = [
        storage.Send(room, person.id, "to the reply", None, reply_to=reply["id"]),
        storage.Send(room, person.id, "to another room's", None, reply_to=foreign["id"]),
        storage.Send(room, person.id, "plain", None),
    ]
    with cursor_on(database_url) as cursor:
        outcomes = storage.store_messages(cursor, sends)
    assert [outcome for outcome, _ in outcomes] == ["stored", "no_reply_target", "stored"]
    assert [(row["seq"], row["reply_to"]) for _, row in outcomes if row] == [(3, root["id"]), (4, None)]


def batches_so_far(ws_base_url):
    metrics = requests.get(f"{ws_base_url}/ws/metrics", headers=METRICS_HEADERS, timeout=10).text
    count = float(re.search(r"^parley_message_batch_size_count (\S+)$", metrics, re.M).group(1))
    total = float(re.search(r"^parley_message_batch_size_sum (\S+)$", metrics, re.M).group(1))
    return count, total


def test_concurrent_senders_are_stored_together_gapless_and_each_acknowledged_with_its_own(
    person, new_person, ws_base_url
):
    senders = [new_person().register().login() for _ in range(8)]
    rooms = [person.create_room() for _ in range(4)]
    for sender in senders:
        for room in rooms:
            assert sender.post(f"/ws/rooms/{room}/members").status_code == 200
    batches_before, messages_before = batches_so_far(ws_base_url)

    def send(number):
        sender, room = senders[number % len(senders)], rooms[number % len(rooms)]
        answer = sender.post(f"/ws/rooms/{room}/messages", json={"content": f"m{number}", "client_id": f"c{number}"})
        return room, answer.status_code, answer.json()

    with ThreadPoolExecutor(32) as pool:
        sent = list(pool.map(send, range(400)))
    assert {status for _, status, _ in sent} == {201}
    for room in rooms:
        stored = history(person, room)
        assert [e["seq"] for e in stored] == list(range(1, 101))
        by_seq = {e["seq"]: e for e in stored}
        for answer in (answer for sent_to, _, answer in sent if sent_to == room):
            # The acknowledgement is the stored event, which the history shows with its reactions.
            assert by_seq[answer["seq"]] == as_in_history(answer)
    batches_after, messages_after = batches_so_far(ws_base_url)
    assert messages_after - messages_before == 400
    assert batches_after - batches_before < 400, "no two messages were ever stored together"
