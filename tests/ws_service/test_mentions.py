"""Mentions: `@username` in a message marks it for that user, whatever the case of the name;
GET /ws/mentions lists them, the newest first page or those after `after_id`."""


def mentions_of(person, after_id=None):
    query = f"?after_id={after_id}" if after_id is not None else ""
    return person.get(f"/ws/mentions{query}").json()


def test_a_mention_is_listed_for_the_one_named(person, new_person):
    bob = new_person().register().login()
    room = person.create_room()
    sent = person.post(
        f"/ws/rooms/{room}/messages",
        json={"content": f"hi @{bob.username.upper()}, and @{person.username} and @nobody_here"},
    ).json()
    [mention] = mentions_of(bob)["mentions"]
    assert {key: mention[key] for key in ("id", "room_id", "seq", "content")} == {
        "id": sent["id"],
        "room_id": room,
        "seq": sent["seq"],
        "content": sent["content"],
    }
    assert mention["user"] == {"id": person.id, "username": person.username}
    assert mentions_of(person)["mentions"] == []  # naming yourself marks nothing


def test_an_email_address_is_not_a_mention(person, new_person):
    bob = new_person().register().login()
    room = person.create_room()
    person.post(f"/ws/rooms/{room}/messages", json={"content": f"write to mail@{bob.username}"})
    assert mentions_of(bob)["mentions"] == []


def test_a_mention_in_a_private_room_reaches_members_only(person, new_person):
    member, outsider = new_person().register().login(), new_person().register().login()
    room = person.create_room(private=True)
    person.post(f"/ws/rooms/{room}/members", json={"user_id": member.id})
    person.post(f"/ws/rooms/{room}/messages", json={"content": f"@{member.username} @{outsider.username}"})
    assert len(mentions_of(member)["mentions"]) == 1
    assert mentions_of(outsider)["mentions"] == []


def test_mentions_page_after_an_id_and_drop_deleted_messages(person, new_person):
    bob = new_person().register().login()
    room = person.create_room()
    ids = [
        person.post(f"/ws/rooms/{room}/messages", json={"content": f"@{bob.username} {i}"}).json()["id"]
        for i in range(3)
    ]
    first_page = mentions_of(bob)
    assert [m["id"] for m in first_page["mentions"]] == ids
    assert mentions_of(bob, after_id=ids[0])["mentions"][0]["id"] == ids[1]
    assert mentions_of(bob, after_id=first_page["next_after_id"])["mentions"] == []
    socket = person.connect(room)
    socket.send(type="delete", id=ids[1])
    socket.stored_events(1)
    assert [m["id"] for m in mentions_of(bob)["mentions"]] == [ids[0], ids[2]]
