"""GET /ws/search: the current text of the messages you may read, newest first, with highlights."""

import uuid

import pytest


def search(person, **params):
    response = person.get("/ws/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def send(person, room, content):
    response = person.post(f"/ws/rooms/{room}/messages", json={"content": content})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def word():
    """A word no other test writes: each test finds its own messages only."""
    return f"w{uuid.uuid4().hex[:10]}"


def test_words_phrases_and_exclusions_newest_first_with_highlights(person, new_person, word):
    room = person.create_room()
    older = send(person, room, f"{word} with tea at five")
    newer = send(person, room, f"{word.upper()}, tea and coffee")
    send(person, room, f"tea alone, no {word}x")  # a longer word is not the word
    found = search(person, q=word)
    assert [r["id"] for r in found["results"]] == [newer["id"], older["id"]]
    first = found["results"][0]
    assert first == {
        "room_id": room,
        "room_name": first["room_name"],
        "seq": newer["seq"],
        "id": newer["id"],
        "user": {"id": person.id, "username": person.username},
        "content": f"{word.upper()}, tea and coffee",
        "created_at": newer["created_at"],
        "highlights": [[0, len(word)]],
    }
    assert found["next_before_id"] is None
    assert [r["id"] for r in search(person, q=f"{word} -coffee")["results"]] == [older["id"]]
    phrase = search(person, q=f'"tea at five" {word}')["results"]
    assert [r["id"] for r in phrase] == [older["id"]]
    assert phrase[0]["highlights"] == [[0, len(word)], [len(word) + 6, len(word) + 17]]


def test_never_what_the_searcher_may_not_read(person, new_person, word):
    other = new_person().register().login()
    private = other.create_room(private=True)
    send(other, private, f"{word} in a private room")
    public = other.create_room()
    in_public = send(other, public, f"{word} in a public room, not joined")
    third = new_person().register().login()
    dm = third.post(f"/ws/dm/{other.id}").json()["id"]
    send(third, dm, f"{word} in someone else's DM")
    deleted = send(other, public, f"{word} deleted")
    socket = other.connect(public)
    socket.send(type="delete", id=deleted["id"])
    socket.stored_events(1)
    assert [r["id"] for r in search(person, q=word)["results"]] == [in_public["id"]]
    # Once in the private room, its messages are found too.
    assert other.post(f"/ws/rooms/{private}/members", json={"user_id": person.id}).status_code == 200
    assert len(search(person, q=word)["results"]) == 2
    # The DM's two people find it; the owner of a room they are not in does not.
    assert len(search(third, q=f"{word} DM")["results"]) == 1
    assert search(person, q=f"{word} DM")["results"] == []


def test_an_edit_is_found_by_its_new_text_at_once_and_not_by_the_old(person, word):
    room = person.create_room()
    sent = send(person, room, f"{word} draft")
    socket = person.connect(room)
    socket.send(type="edit", id=sent["id"], content=f"{word} final")
    socket.stored_events(1)  # the edit, stored
    assert search(person, q=f"{word} draft")["results"] == []
    assert [r["content"] for r in search(person, q=f"{word} final")["results"]] == [f"{word} final"]


def test_from_and_room_id_narrow_it_and_pages_go_back_by_id(person, new_person, word):
    bob = new_person().register().login()
    room, elsewhere = person.create_room(), person.create_room()
    assert bob.post(f"/ws/rooms/{room}/members").status_code == 200
    mine = [send(person, room, f"{word} {i}")["id"] for i in range(5)]
    theirs = send(bob, room, f"{word} from bob")["id"]
    other_room = send(person, elsewhere, f"{word} elsewhere")["id"]
    assert [r["id"] for r in search(person, q=word, **{"from": bob.username.upper()})["results"]] == [theirs]
    assert [r["id"] for r in search(person, q=word, room_id=elsewhere)["results"]] == [other_room]
    pages, before = [], None
    while True:
        page = search(person, q=word, room_id=room, limit=2, **({"before_id": before} if before else {}))
        pages.append([r["id"] for r in page["results"]])
        before = page["next_before_id"]
        if before is None:
            break
    assert [i for page in pages for i in page] == [theirs, *reversed(mine)]
    assert all(len(page) <= 2 for page in pages)
    assert search(person, q=word, **{"from": "nobody_by_that_name"})["results"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "missing_field"),
        ({"q": "   "}, "too_short"),
        ({"q": "x" * 257}, "too_long"),
        ({"q": "tea", "from": "not a name!"}, "invalid_parameter"),
        ({"q": "tea", "from": ""}, "invalid_parameter"),
        ({"q": "tea", "room_id": "x"}, "invalid_parameter"),
        ({"q": "tea", "limit": "1000"}, "invalid_parameter"),
    ],
)
def test_bad_queries_are_400(person, params, code):
    response = person.get("/ws/search", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_queries_of_no_words_or_odd_syntax_find_nothing_and_never_fail(person):
    for query in ('"', "-", "!!!", "&|!", "(((", '" "', "-!?"):
        assert search(person, q=query)["results"] == [], query


def test_search_needs_a_token(person):
    person.token = None
    assert person.get("/ws/search", params={"q": "tea"}).status_code == 401
