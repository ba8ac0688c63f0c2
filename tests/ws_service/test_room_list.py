"""getRooms in pages: every room you belong to, and at most `limit` public rooms you do not, with the
id to ask the next page after; and room creation is limited per person (issue 15, finding 8: 2,927
rooms in 35 s made everyone's getRooms 346 KiB)."""

import pytest

from tests.conftest import GENEROUS_LIMITS, Person, RunningServer


@pytest.fixture(scope="module")
def server_of_its_own(databases, tmp_path_factory):
    """A database of its own, so that the test knows every public room there is; two rooms an hour."""
    server = RunningServer(
        {"DATABASE_URL": databases.create(), "ROOM_CREATIONS_PER_HOUR": "2", **GENEROUS_LIMITS},
        tmp_path_factory.mktemp("room-list") / "server.log",
    )
    yield server
    server.stop()


def test_the_room_list_comes_in_pages_of_public_rooms_with_all_of_mine_in_each(server_of_its_own):
    owners = [Person(server_of_its_own.url).register().login() for _ in range(3)]
    public = [owner.create_room() for owner in owners for _ in range(2)]  # six public rooms
    reader = Person(server_of_its_own.url).register().login()
    mine = reader.create_room(private=True)
    assert reader.post(f"/ws/rooms/{public[4]}/members").status_code == 200  # a public one I joined
    pages, after = [], 0
    while after is not None:
        page = reader.get(f"/ws/getRooms?after_id={after}&limit=2").json()
        pages.append([room["id"] for room in page["rooms"]])
        after = page["next_after_id"]
    others = [room for room in public if room != public[4]]
    assert pages == [
        sorted([*others[0:2], public[4], mine]),
        sorted([*others[2:4], public[4], mine]),
        sorted([others[4], public[4], mine]),
    ]
    default = reader.get("/ws/getRooms").json()
    assert default["next_after_id"] is None and len(default["rooms"]) == 7  # a limit of 100 by default


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "after_id=-1", "limit=x"])
def test_bad_paging_is_400(server_of_its_own, query):
    person = Person(server_of_its_own.url).register().login()
    assert person.get(f"/ws/getRooms?{query}").status_code == 400


def test_room_creation_is_limited_per_person(server_of_its_own):
    person = Person(server_of_its_own.url).register().login()
    person.create_room()
    person.create_room(private=True)
    refused = person.post("/ws/createRoom", json={"name": "one too many"})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
    other = Person(server_of_its_own.url).register().login()
    assert other.post("/ws/createRoom", json={"name": "one too many"}).status_code == 200  # theirs is theirs
