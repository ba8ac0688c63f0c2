"""What ws_service's hub does with what the process's listener hears through PostgreSQL's NOTIFY
(ws_service/database_events.py, shared/database_events.py): anyone who can reach the database can say
anything on its channels, and the listener must go on hearing."""

import requests

from shared.storage import MEMBERSHIPS_ENDED_CHANNEL, SESSIONS_ENDED_CHANNEL

MALFORMED = ["not json", "[]", "null", "{}", '{"room_id": "1"}', '{"room_id": true}', '{"jti": 5}', '{"user_id": 1.5}']


def test_malformed_notifications_are_skipped_and_the_listener_goes_on(person, ws_base_url, db_cursor):
    room = person.create_room()
    socket = person.connect(room)
    for channel in (SESSIONS_ENDED_CHANNEL, MEMBERSHIPS_ENDED_CHANNEL):
        for payload in MALFORMED:
            db_cursor.execute("SELECT pg_notify(%s, %s)", (channel, payload))
    assert person.request("DELETE", f"/ws/rooms/{room}/members/me").status_code == 204
    assert socket.close_code(timeout=3) == 1000  # heard at once, not at a sweep
    assert requests.get(f"{ws_base_url}/ws/healthz").json()["checks"]["listener"] == "ok"


def test_a_leave_closes_only_the_leavers_sockets_in_that_room(person, new_person):
    other = new_person().register().login()
    room, elsewhere = person.create_room(), person.create_room()
    leaving, staying_elsewhere, others = person.connect(room), person.connect(elsewhere), other.connect(room)
    assert person.request("DELETE", f"/ws/rooms/{room}/members/me").status_code == 204
    assert leaving.close_code(timeout=3) == 1000
    sent = other.post(f"/ws/rooms/{room}/messages", json={"content": "still here"}).json()
    assert others.stored_events(1)[0]["id"] == sent["id"]
    sent = person.post(f"/ws/rooms/{elsewhere}/messages", json={"content": "and here"}).json()
    assert staying_elsewhere.stored_events(1)[0]["id"] == sent["id"]
