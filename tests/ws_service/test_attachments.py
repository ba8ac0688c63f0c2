"""Attachments: uploaded to a room (multipart), typed by their bytes, sent with a message, served to
the room's members only with headers that keep a file from running as the page, removed if never sent."""

import io
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image

from tests.conftest import Person, eventually, server_of_its_own

MIB = 1024 * 1024
PNG_HEAD = b"\x89PNG\r\n\x1a\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def image_bytes(size=(640, 480), kind="PNG", colour=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def upload(person, room, data, name="photo.png", content_type="image/png"):
    return person.post(f"/ws/rooms/{room}/attachments", files={"file": (name, data, content_type)})


def send(person, room, content="", **fields):
    return person.post(f"/ws/rooms/{room}/messages", json={"content": content, **fields})


@pytest.fixture
def shared_room(person, new_person):
    """A public room of `person` and bob: (room, bob)."""
    bob = new_person().register().login()
    room = person.create_room()
    assert bob.post(f"/ws/rooms/{room}/members").status_code == 200
    return room, bob


def test_an_image_is_sent_with_a_message_and_served_byte_for_byte_to_members(person, shared_room):
    room, bob = shared_room
    data = image_bytes()
    uploaded = upload(person, room, data, content_type="application/octet-stream")  # the claim is ignored
    assert uploaded.status_code == 201, uploaded.text
    file = uploaded.json()
    assert file == {
        "id": file["id"],
        "name": "photo.png",
        "size": len(data),
        "content_type": "image/png",
        "url": f"/ws/rooms/{room}/attachments/{file['id']}",
        "width": 640,
        "height": 480,
    }
    sent = send(person, room, "the view", attachments=[file["id"]])
    assert sent.status_code == 201, sent.text
    assert sent.json()["attachments"] == [file]
    history = [e for e in person.get(f"/ws/rooms/{room}/messages").json()["events"] if e["type"] == "message"]
    assert history[-1]["attachments"] == [file]

    served = bob.get(file["url"])
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("inline;")
    thumb = bob.get(file["url"], params={"thumb": "1"})
    assert thumb.status_code == 200
    assert thumb.headers["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert small.format == "WEBP"
        assert max(small.size) <= 400
        assert small.size == (400, 300)  # the same shape
    # Asked again with what the browser has: not sent again.
    again = bob.get(file["url"], headers={"If-None-Match": served.headers["ETag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_a_file_is_404_to_anyone_outside_its_room(person, new_person, shared_room):
    room, _ = shared_room
    file = upload(person, room, image_bytes()).json()
    assert send(person, room, attachments=[file["id"]]).status_code == 201
    stranger = new_person().register().login()
    for who in (stranger,):
        answer = who.get(file["url"])
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "attachment_not_found"
    private = person.create_room(private=True)
    secret = upload(person, private, b"the plan").json()
    assert send(person, private, attachments=[secret["id"]]).status_code == 201
    assert person.get(secret["url"]).content == b"the plan"
    assert stranger.get(secret["url"]).status_code == 404
    # The id under another room's address is not found either.
    assert person.get(f"/ws/rooms/{room}/attachments/{secret['id']}").status_code == 404
    # Someone who leaves the room loses its files.
    assert person.request("DELETE", f"/ws/rooms/{private}/members/me").status_code == 204
    assert person.get(secret["url"]).status_code == 404


def test_an_upload_not_yet_sent_is_its_uploaders_alone(person, shared_room):
    room, bob = shared_room
    file = upload(person, room, b"draft notes", name="notes.txt", content_type="text/plain").json()
    assert person.get(file["url"]).status_code == 200
    assert bob.get(file["url"]).status_code == 404


@pytest.mark.parametrize(
    ("data", "claimed_name", "claimed_type", "found_type"),
    [
        (SVG, "cat.png", "image/png", "image/svg+xml"),
        (SVG, "cat.svg", "image/svg+xml", "image/svg+xml"),
        (HTML, "page.jpg", "image/jpeg", "text/html"),
        (b"<html><script>x()</script>", "readme.txt", "text/plain", "text/html"),
        (PNG_HEAD + b"not really a png", "broken.png", "image/png", "image/png"),
        (b"%PDF-1.7 ...", "a.bin", "application/octet-stream", "application/pdf"),
        (b"\x00\x01\x02binary", "data.png", "image/png", "application/octet-stream"),
    ],
)
def test_what_is_not_a_decoded_image_is_served_as_a_download_whatever_it_claims(
    person, shared_room, data, claimed_name, claimed_type, found_type
):
    room, bob = shared_room
    file = upload(person, room, data, name=claimed_name, content_type=claimed_type).json()
    assert (file["content_type"], file["width"], file["height"]) == (found_type, None, None)
    assert send(person, room, attachments=[file["id"]]).status_code == 201
    served = bob.get(file["url"])
    assert served.content == data
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert bob.get(file["url"], params={"thumb": "1"}).status_code == 404


def test_a_file_over_the_limit_is_413_and_one_at_it_is_stored(person, shared_room, ws_base_url):
    room, _ = shared_room
    limit = requests.get(f"{ws_base_url}/ws/limits", timeout=10).json()["max_attachment_bytes"]
    assert limit == 10 * MIB
    over = upload(person, room, b"x" * (limit + 1), name="big.bin")
    assert over.status_code == 413
    assert over.json()["error"]["code"] == "attachment_too_large"
    far_over = upload(person, room, b"x" * (limit + MIB), name="bigger.bin")  # past the body's own limit
    assert far_over.status_code == 413
    assert far_over.json()["error"]["code"] == "payload_too_large"
    at_limit = upload(person, room, b"y" * limit, name="just.bin")
    assert at_limit.status_code == 201
    assert person.get(at_limit.json()["url"]).content == b"y" * limit


def test_a_chunked_upload_is_read_within_the_limit(person, shared_room):
    room, _ = shared_room
    boundary = "parleyboundary"

    def body(size):
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.bin"\r\n\r\n'.encode()
        for _ in range(size // 65536):
            yield b"z" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    stored = person.post(f"/ws/rooms/{room}/attachments", data=body(MIB), headers=headers)
    assert stored.status_code == 201, stored.text
    assert stored.json()["size"] == MIB
    refused = person.post(f"/ws/rooms/{room}/attachments", data=body(11 * MIB), headers=headers)
    assert refused.status_code == 413


def test_an_empty_file_is_stored_and_served_empty(person, shared_room):
    room, bob = shared_room
    empty = upload(person, room, b"", name="empty.txt").json()
    assert (empty["size"], empty["content_type"]) == (0, "text/plain")
    assert send(person, room, attachments=[empty["id"]]).status_code == 201
    served = bob.get(empty["url"])
    assert (served.status_code, served.content) == (200, b"")


def test_an_upload_needs_a_file_part_a_multipart_body_and_membership(person, new_person, shared_room):
    room, _ = shared_room
    missing = person.post(f"/ws/rooms/{room}/attachments", files={"other": ("a.txt", b"hi")})
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "missing_field")
    not_multipart = person.post(f"/ws/rooms/{room}/attachments", json={"file": "aGk="})
    assert not_multipart.status_code == 415
    stranger = new_person().register().login()
    assert upload(stranger, room, b"hi").status_code == 403
    private = person.create_room(private=True)
    assert upload(stranger, private, b"hi").status_code == 404


def test_a_file_is_named_by_its_last_part_and_served_under_its_name(person, shared_room):
    room, _ = shared_room
    traversal = upload(person, room, b"x", name="../../etc/passwd").json()
    assert traversal["name"] == "passwd"
    unicode = upload(person, room, b"y", name='r\u00e9sum\u00e9 "final".txt').json()
    assert unicode["name"] == 'r\u00e9sum\u00e9 "final".txt'
    disposition = person.get(unicode["url"]).headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="r_sum_ _final_.txt"; ')
    assert disposition.endswith("filename*=UTF-8''" + urllib.parse.quote(unicode["name"], safe=""))


def test_a_messages_files_keep_the_order_the_send_gave_them(person, shared_room):
    room, _ = shared_room
    first, second, third = (upload(person, room, b"x", name=f"{n}.txt").json() for n in ("a", "b", "c"))
    sent = send(person, room, attachments=[third["id"], first["id"], second["id"]]).json()
    assert [f["name"] for f in sent["attachments"]] == ["c.txt", "a.txt", "b.txt"]
    stored = person.get(f"/ws/rooms/{room}/messages").json()["events"][-1]
    assert stored["attachments"] == sent["attachments"]


def test_a_send_takes_only_the_senders_own_unsent_uploads_to_that_room(person, shared_room):
    room, bob = shared_room
    elsewhere = person.create_room()
    mine = upload(person, room, b"1", name="1.txt").json()["id"]
    bobs = upload(bob, room, b"2", name="2.txt").json()["id"]
    other_room = upload(person, elsewhere, b"3", name="3.txt").json()["id"]
    last_seq = person.get(f"/ws/rooms/{room}/messages").json()["last_seq"]
    for ids in ([bobs], [other_room], [mine, bobs], [999_999_999]):
        answer = send(person, room, "with files", attachments=ids)
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "attachment_not_found"), ids
    assert person.get(f"/ws/rooms/{room}/messages").json()["last_seq"] == last_seq  # nothing stored
    assert send(person, room, attachments=[mine], client_id="once").status_code == 201  # no text needed
    assert send(person, room, attachments=[mine], client_id="once").status_code == 200  # a repeat
    again = send(person, room, "again", attachments=[mine])
    assert (again.status_code, again.json()["error"]["code"]) == (404, "attachment_not_found")  # sent already


def test_sends_racing_for_one_upload_give_it_to_exactly_one_message(person, shared_room, base_url, gunicorn_ws_service):
    """Twenty sends at once, through two processes (so in different batches and transactions)."""
    room, _ = shared_room
    file = upload(person, room, b"only once", name="once.txt").json()

    def send_through(n):
        where = (base_url, gunicorn_ws_service.url)[n % 2]
        return requests.post(
            f"{where}/ws/rooms/{room}/messages",
            json={"content": f"try {n}", "attachments": [file["id"]]},
            headers={"Authorization": f"Bearer {person.token}"},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(send_through, range(20)))
    assert sorted(statuses) == [201] + [404] * 19
    events = person.get(f"/ws/rooms/{room}/messages").json()["events"]
    carrying = [e for e in events if e["type"] == "message" and e["attachments"]]
    assert [e["attachments"][0]["id"] for e in carrying] == [file["id"]]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))  # the refused took no seq


@pytest.mark.parametrize(
    ("attachments", "code"),
    [
        ("1", "wrong_type"),
        ([0], "wrong_type"),
        (["1"], "wrong_type"),
        ([True], "wrong_type"),
        ({"id": 1}, "wrong_type"),
        ([1, 1], "invalid_parameter"),
        (list(range(1, 12)), "invalid_parameter"),
    ],
)
def test_attachments_that_are_not_up_to_ten_ids_are_400(person, shared_room, attachments, code):
    room, _ = shared_room
    answer = send(person, room, "hm", attachments=attachments)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, code)


def test_a_message_without_files_still_needs_text(person, shared_room):
    room, _ = shared_room
    for body in ({"content": ""}, {"content": "  "}, {"attachments": []}):
        assert person.post(f"/ws/rooms/{room}/messages", json=body).status_code == 400


def test_files_sent_over_the_socket_are_gapless_events_that_resume_with_after(person, shared_room):
    room, bob = shared_room
    start = person.get(f"/ws/rooms/{room}/messages").json()["last_seq"]
    file = upload(bob, room, image_bytes((64, 64)), name="tiny.png").json()
    socket = bob.connect(room, after=start)
    socket.send(type="send", content="", client_id="f-1", attachments=[file["id"]])
    stored = socket.stored_events(1)[0]
    assert (stored["seq"], stored["attachments"]) == (start + 1, [file])
    socket.send(type="send", content="and text", client_id="f-2", attachments=[file["id"]])  # taken already
    refused = socket.receive_until(lambda frame: frame["type"] == "error")[-1]
    assert (refused["code"], refused["ref"]) == ("attachment_not_found", "f-2")
    resumed = person.connect(room, after=start)
    assert resumed.stored_events(1)[0]["attachments"] == [file]


def test_deleting_a_message_deletes_its_files(person, shared_room):
    room, bob = shared_room
    file = upload(person, room, b"secret minutes", name="m.txt").json()
    sent = send(person, room, attachments=[file["id"]]).json()
    socket = person.connect(room, after=sent["seq"])
    socket.send(type="delete", id=sent["id"])
    assert socket.stored_events(1)[0]["type"] == "message_deleted"
    assert bob.get(file["url"]).status_code == 404
    assert person.get(file["url"]).status_code == 404


def test_every_process_serves_every_file(person, shared_room, base_url, gunicorn_ws_service):
    """Uploaded through one process, read through another: the bytes are in the database."""
    room, bob = shared_room
    data = image_bytes((32, 48))
    file = person.request("POST", f"/ws/rooms/{room}/attachments", files={"file": ("p.png", data, "image/png")})
    assert send(person, room, attachments=[file.json()["id"]]).status_code == 201
    for where in (base_url, gunicorn_ws_service.url):
        served = requests.get(
            f"{where}{file.json()['url']}", headers={"Authorization": f"Bearer {bob.token}"}, timeout=10
        )
        assert served.content == data, where


def test_uploads_never_sent_are_removed_by_the_periodic_job(person, shared_room, db_cursor):
    room, _ = shared_room
    stale = upload(person, room, b"forgotten", name="stale.txt").json()
    fresh = upload(person, room, b"still drafting", name="fresh.txt").json()
    sent = upload(person, room, b"sent long ago", name="sent.txt").json()
    assert send(person, room, attachments=[sent["id"]]).status_code == 201
    db_cursor.execute(
        "UPDATE attachments SET created_at = now() - interval '25 hours' WHERE id = ANY(%s)",
        ([stale["id"], sent["id"]],),
    )
    # The tests' processes look every second (ATTACHMENT_CLEANUP_SECONDS in their settings).
    eventually(lambda: person.get(stale["url"]).status_code == 404, timeout=15, what="the stale upload's removal")
    assert person.get(fresh["url"]).status_code == 200
    assert person.get(sent["url"]).content == b"sent long ago"


@pytest.fixture(scope="module")
def two_uploads_an_hour(database_url, tmp_path_factory):
    yield from server_of_its_own(database_url, tmp_path_factory, "uploads", {"ATTACHMENT_UPLOADS_PER_HOUR": "2"})


def test_uploads_are_limited_per_person_across_rooms(two_uploads_an_hour):
    ada, bob = (Person(two_uploads_an_hour.url).register().login() for _ in range(2))
    rooms = [ada.create_room(), ada.create_room()]
    assert bob.post(f"/ws/rooms/{rooms[0]}/members").status_code == 200
    assert [upload(ada, room, b"x").status_code for room in rooms] == [201, 201]
    refused = upload(ada, rooms[0], b"x")
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited")
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600
    assert upload(bob, rooms[0], b"x").status_code == 201  # someone else's uploads are their own
