"""Posts, a user's posts and the feed: newest first, keyset-paginated, served by an index."""

import psycopg2
import pytest

from user_service import storage


def test_a_post_is_created_with_its_content_trimmed(person):
    response = person.post("/users/posts", json={"content": "  hello, world \n"})
    assert response.status_code == 201
    post = response.json()
    assert post["content"] == "hello, world"
    assert post["user_id"] == person.id
    assert {"id", "user_id", "content", "created_at"} <= set(post)


def test_a_post_cannot_be_made_in_someone_elses_name(person, new_person):
    other = new_person().register()
    post = person.post("/users/posts", json={"content": "mine", "user_id": other.id}).json()
    assert post["user_id"] == person.id


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "missing_field"),
        ({"content": ""}, "too_short"),
        ({"content": "   \n\t "}, "too_short"),
        ({"content": "x" * 4001}, "too_long"),
        ({"content": 42}, "wrong_type"),
        ({"content": ["a"]}, "wrong_type"),
        ({"content": "nul \u0000 inside"}, "invalid_text"),
    ],
)
def test_a_bad_post_is_400_and_stores_nothing(person, db_cursor, body, code):
    db_cursor.execute("SELECT count(*) FROM posts WHERE user_id = %s", (person.id,))
    before = db_cursor.fetchone()[0]
    response = person.post("/users/posts", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    db_cursor.execute("SELECT count(*) FROM posts WHERE user_id = %s", (person.id,))
    assert db_cursor.fetchone()[0] == before


def test_content_of_exactly_4000_characters_of_any_script_is_accepted(person):
    content = "語" * 3990 + "🙂" * 10
    response = person.post("/users/posts", json={"content": content})
    assert response.status_code == 201
    assert response.json()["content"] == content


def collect(person, path, page_size):
    """Every post of a paged listing, following next_before_id to the end."""
    seen, cursor = [], None
    while True:
        query = f"limit={page_size}" + (f"&before_id={cursor}" if cursor else "")
        page = person.get(f"{path}?{query}").json()
        seen += page["posts"]
        cursor = page["next_before_id"]
        if cursor is None:
            return seen


def test_a_users_posts_are_newest_first_and_page_without_gaps(person):
    ids = [person.post("/users/posts", json={"content": f"post {i}"}).json()["id"] for i in range(7)]
    first_page = person.get(f"/users/{person.id}/posts?limit=3").json()
    assert [p["id"] for p in first_page["posts"]] == ids[::-1][:3]
    # A post written between pages belongs to the top, not in the middle of what follows.
    person.post("/users/posts", json={"content": "late"})
    rest = collect_from(person, f"/users/{person.id}/posts", 3, first_page["next_before_id"])
    assert [p["id"] for p in first_page["posts"] + rest] == ids[::-1]


def collect_from(person, path, page_size, cursor):
    seen = []
    while cursor is not None:
        page = person.get(f"{path}?limit={page_size}&before_id={cursor}").json()
        seen += page["posts"]
        cursor = page["next_before_id"]
    return seen


def test_the_feed_holds_the_posts_of_followed_people_newest_first(person, new_person):
    alice, bob, stranger = (new_person().register().login() for _ in range(3))
    person.post(f"/users/follow?toFollowId={alice.id}")
    person.post(f"/users/follow?toFollowId={bob.id}")
    expected = []
    for i in range(4):
        for author in (alice, bob):
            expected.append(author.post("/users/posts", json={"content": f"{author.username} {i}"}).json()["id"])
    stranger.post("/users/posts", json={"content": "not followed"})
    person.post("/users/posts", json={"content": "my own"})

    feed = collect(person, "/users/feed", 3)
    assert [p["id"] for p in feed] == expected[::-1]
    assert {p["username"] for p in feed} == {alice.username, bob.username}


def test_an_empty_feed(person):
    assert person.get("/users/feed").json() == {"posts": [], "next_before_id": None}


@pytest.fixture(scope="module")
def populated_database(databases):
    """A database with enough people and posts that the planner chooses as it would in production."""
    url = databases.create()
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cursor:
        cursor.execute("""
            INSERT INTO users (username, password_hash) SELECT 'user' || n, 'x' FROM generate_series(1, 2000) n;
            INSERT INTO follows (follower_id, followee_id)
                 SELECT 1, n FROM generate_series(2, 60) n;
            INSERT INTO posts (user_id, content)
                 SELECT 1 + (n % 2000), 'post ' || n FROM generate_series(1, 200000) n;
            ANALYZE;
        """)
    yield conn
    conn.close()


@pytest.mark.parametrize(
    "query, params",
    [
        (storage.FEED_QUERY, {"user_id": 1, "before_id": 2**63 - 1, "limit": 20}),
        (storage.FEED_QUERY, {"user_id": 1, "before_id": 100000, "limit": 20}),
        (storage.USER_POSTS_QUERY, {"user_id": 7, "before_id": 2**63 - 1, "limit": 20}),
        (storage.USER_POSTS_QUERY, {"user_id": 7, "before_id": 50000, "limit": 20}),
    ],
)
def test_feed_and_user_posts_are_served_by_an_index_not_a_scan_of_posts(populated_database, query, params):
    with populated_database.cursor() as cursor:
        cursor.execute("EXPLAIN " + query, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on posts" not in plan, plan
    assert "Index" in plan, plan
