"""Following and unfollowing, with the seed's paths and status codes."""

import threading

import pytest


def test_follow_then_unfollow(person, new_person):
    other = new_person().register().login()
    response = person.post(f"/users/follow?toFollowId={other.id}")
    assert response.status_code == 200
    assert response.json() == {"follower_id": person.id, "followee_id": other.id, "following": True}
    assert person.get(f"/users/{other.id}").json()["followers"] == 1
    assert person.get(f"/users/{person.id}").json()["following"] == 1

    response = person.post(f"/users/unfollow?toUnfollowId={other.id}")
    assert response.status_code == 200
    assert response.json()["following"] is False
    assert person.get(f"/users/{other.id}").json()["followers"] == 0


def test_following_twice_is_409(person, new_person):
    other = new_person().register()
    assert person.post(f"/users/follow?toFollowId={other.id}").status_code == 200
    again = person.post(f"/users/follow?toFollowId={other.id}")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_following"


def test_concurrent_follows_of_one_user_store_one_follow(person, new_person):
    other = new_person().register()
    start = threading.Barrier(4)
    statuses = []

    def follow():
        start.wait()
        statuses.append(person.post(f"/users/follow?toFollowId={other.id}").status_code)

    threads = [threading.Thread(target=follow) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert person.get(f"/users/{other.id}").json()["followers"] == 1


def test_following_yourself_is_422(person):
    response = person.post(f"/users/follow?toFollowId={person.id}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "cannot_follow_yourself"


@pytest.mark.parametrize("action, param", [("follow", "toFollowId"), ("unfollow", "toUnfollowId")])
def test_an_unknown_user_is_404(person, action, param):
    response = person.post(f"/users/{action}?{param}=999999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "user_not_found"


def test_unfollowing_someone_you_do_not_follow_is_404(person, new_person):
    other = new_person().register()
    response = person.post(f"/users/unfollow?toUnfollowId={other.id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_following"


@pytest.mark.parametrize(
    "query, code",
    [
        ("", "missing_parameter"),
        ("toFollowId=", "invalid_parameter"),  # present, and not an integer
        ("toFollowId=abc", "invalid_parameter"),
        ("toFollowId=1.5", "invalid_parameter"),
        ("toFollowId=--5", "invalid_parameter"),
        ("toFollowId=0", "invalid_parameter"),
        ("toFollowId=-3", "invalid_parameter"),
        ("toFollowId=99999999999999999999999", "invalid_parameter"),
        ("toFollowId=9223372036854775808", "invalid_parameter"),
        ("toFollowId=%EF%BC%91", "invalid_parameter"),
        ("toFollowId=1%00", "invalid_parameter"),
    ],
)
def test_a_bad_id_is_400(person, query, code):
    response = person.post(f"/users/follow?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_followers_and_following_lists(person, new_person):
    fans = [new_person().register().login() for _ in range(3)]
    for fan in fans:
        assert fan.post(f"/users/follow?toFollowId={person.id}").status_code == 200
    assert person.post(f"/users/follow?toFollowId={fans[0].id}").status_code == 200

    followers = person.get(f"/users/{person.id}/followers").json()
    assert [u["id"] for u in followers["users"]] == sorted(f.id for f in fans)
    assert {u["username"] for u in followers["users"]} == {f.username for f in fans}
    following = person.get(f"/users/{person.id}/following").json()
    assert following["users"] == [{"id": fans[0].id, "username": fans[0].username}]

    page = person.get(f"/users/{person.id}/followers?limit=2").json()
    assert len(page["users"]) == 2
    rest = person.get(f"/users/{person.id}/followers?limit=2&after_id={page['next_after_id']}").json()
    assert [u["id"] for u in page["users"] + rest["users"]] == sorted(f.id for f in fans)
    assert rest["next_after_id"] is None


def test_lists_of_an_unknown_user_are_404(person):
    for which in ("followers", "following", "posts"):
        assert person.get(f"/users/999999999/{which}").status_code == 404
