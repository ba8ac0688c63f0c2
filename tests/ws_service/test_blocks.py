"""A block holds everywhere, not only in the DM (issue 15, finding 6): the blocked person cannot pull
the one who blocked them into a room, nor notify them with an @mention, nor open a DM with them."""


def blocks(person, other):
    assert person.post(f"/users/block?userId={other.id}").status_code == 200


def test_a_blocked_owner_cannot_add_the_one_who_blocked_them_to_a_room(person, new_person):
    blocker = new_person().register().login()
    blocks(blocker, person)
    room = person.create_room(private=True)
    added = person.post(f"/ws/rooms/{room}/members", json={"user_id": blocker.id})
    assert added.status_code == 403
    assert added.json()["error"]["code"] == "blocked"
    assert room not in [r["id"] for r in blocker.get("/ws/getRooms").json()["rooms"]]
    # Nor the other way round: whoever blocked someone does not pull them in either.
    own_room = blocker.create_room(private=True)
    assert blocker.post(f"/ws/rooms/{own_room}/members", json={"user_id": person.id}).status_code == 403


def test_after_leaving_a_room_the_blocker_cannot_be_added_back(person, new_person):
    blocker = new_person().register().login()
    room = person.create_room(private=True)
    assert person.post(f"/ws/rooms/{room}/members", json={"user_id": blocker.id}).status_code == 200
    blocks(blocker, person)
    assert blocker.request("DELETE", f"/ws/rooms/{room}/members/me").status_code == 204
    assert person.post(f"/ws/rooms/{room}/members", json={"user_id": blocker.id}).status_code == 403
    assert room not in [r["id"] for r in blocker.get("/ws/getRooms").json()["rooms"]]


def test_mentions_across_a_block_are_not_recorded_but_the_message_is(person, new_person):
    blocker, friend = new_person().register().login(), new_person().register().login()
    blocks(blocker, person)
    room = person.create_room()
    for member in (blocker, friend):
        assert member.post(f"/ws/rooms/{room}/members").status_code == 200
    sent = person.post(
        f"/ws/rooms/{room}/messages", json={"content": f"@{blocker.username} and @{friend.username}, look"}
    )
    assert sent.status_code == 201
    assert blocker.get("/ws/mentions").json()["mentions"] == []
    assert [m["id"] for m in friend.get("/ws/mentions").json()["mentions"]] == [sent.json()["id"]]
    # The one who blocked is not heard by the one they blocked either.
    back = blocker.post(f"/ws/rooms/{room}/messages", json={"content": f"@{person.username} no"})
    assert back.status_code == 201
    assert person.get("/ws/mentions").json()["mentions"] == []


def test_a_dm_stays_refused(person, new_person):
    blocker = new_person().register().login()
    blocks(blocker, person)
    for opener, other in ((person, blocker), (blocker, person)):
        refused = opener.post(f"/ws/dm/{other.id}")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "blocked"
