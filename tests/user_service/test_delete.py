"""Deleting an account: all of it, at once, or none of it."""

import threading
import time

import psycopg2
import pytest
import requests


def test_delete_removes_the_account_its_follows_and_posts(person, new_person, db_cursor):
    friend = new_person().register().login()
    person.post(f"/users/follow?toFollowId={friend.id}")
    friend.post(f"/users/follow?toFollowId={person.id}")
    person.post("/users/posts", json={"content": "soon gone"})

    response = person.request("DELETE", "/users/delete")
    assert response.status_code == 204
    assert response.content == b""
    db_cursor.execute(
        "SELECT (SELECT count(*) FROM users WHERE id = %(id)s), "
        "(SELECT count(*) FROM follows WHERE follower_id = %(id)s OR followee_id = %(id)s), "
        "(SELECT count(*) FROM posts WHERE user_id = %(id)s)",
        {"id": person.id},
    )
    assert db_cursor.fetchone() == (0, 0, 0)
    assert friend.get(f"/users/{person.id}").status_code == 404
    assert friend.get(f"/users/{friend.id}").json()["followers"] == 0


def test_delete_ends_every_session_of_the_account(new_person):
    person = new_person().register()
    sessions = [type(person)(person.base_url, person.username, person.password).login() for _ in range(3)]
    assert sessions[0].request("DELETE", "/users/delete").status_code == 204
    for session in sessions:
        response = session.get("/auth/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_revoked"
    # And the name is free again.
    assert (
        requests.post(
            f"{person.base_url}/auth/register", json={"username": person.username, "password": "a new life"}
        ).status_code
        == 201
    )


def test_delete_clears_the_session_cookie(person):
    response = person.request("DELETE", "/users/delete", cookies={"parley_token": person.token})
    assert response.status_code == 204
    assert 'parley_token=""' in response.headers["Set-Cookie"] or "parley_token=;" in response.headers["Set-Cookie"]


@pytest.fixture
def failing_post_deletion(database_url):
    """A fault half-way through the deletion: removing the posts raises, after the follows are gone."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION test_fail_post_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.content = 'undeletable' THEN RAISE EXCEPTION 'injected fault'; END IF;
                RETURN OLD;
            END $$;
            CREATE TRIGGER test_fail_post_deletion BEFORE DELETE ON posts
                FOR EACH ROW EXECUTE FUNCTION test_fail_post_deletion();
        """)
    yield
    with conn.cursor() as cursor:
        cursor.execute("DROP TRIGGER test_fail_post_deletion ON posts; DROP FUNCTION test_fail_post_deletion();")
    conn.close()


def test_a_failure_half_way_leaves_the_account_as_it_was(person, new_person, db_cursor, failing_post_deletion):
    friend = new_person().register()
    person.post(f"/users/follow?toFollowId={friend.id}")
    person.post("/users/posts", json={"content": "undeletable"})

    response = person.request("DELETE", "/users/delete")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "injected" not in response.text
    db_cursor.execute(
        "SELECT (SELECT count(*) FROM users WHERE id = %(id)s), "
        "(SELECT count(*) FROM follows WHERE follower_id = %(id)s), "
        "(SELECT count(*) FROM posts WHERE user_id = %(id)s)",
        {"id": person.id},
    )
    assert db_cursor.fetchone() == (1, 1, 1)
    assert person.get("/auth/me").status_code == 200


def test_deleting_while_other_requests_of_the_account_are_in_flight(person, new_person, db_cursor):
    target = new_person().register()
    statuses = []
    lock = threading.Lock()
    stop = threading.Event()

    def keep_writing(action):
        while not stop.is_set():
            response = action()
            with lock:
                statuses.append(response.status_code)
            if response.status_code == 401:
                return

    writers = [
        threading.Thread(target=keep_writing, args=(lambda: person.post("/users/posts", json={"content": "busy"}),)),
        threading.Thread(target=keep_writing, args=(lambda: person.post(f"/users/follow?toFollowId={target.id}"),)),
        threading.Thread(target=keep_writing, args=(lambda: person.get("/users/feed"),)),
    ]
    for writer in writers:
        writer.start()
    while len(statuses) < 10:
        time.sleep(0.01)
    deletion = person.request("DELETE", "/users/delete")
    for writer in writers:
        writer.join(timeout=30)
    stop.set()
    assert deletion.status_code == 204
    assert set(statuses) <= {200, 201, 409, 401}, statuses
    db_cursor.execute(
        "SELECT (SELECT count(*) FROM posts WHERE user_id = %(id)s), "
        "(SELECT count(*) FROM follows WHERE follower_id = %(id)s)",
        {"id": person.id},
    )
    assert db_cursor.fetchone() == (0, 0)
