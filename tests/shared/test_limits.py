"""GET /limits of each service: what it enforces, as a client needs to know it."""

import pytest
import requests

from tests.conftest import GENEROUS_LIMITS
from ws_service.sockets import TYPING_INTERVAL_SECONDS


@pytest.mark.parametrize("service", ["auth", "users", "ws"])
def test_each_service_tells_its_limits_to_anyone(base_url, service):
    response = requests.get(f"{base_url}/{service}/limits")
    assert response.status_code == 200
    for value in response.json().values():
        assert isinstance(value, (int, float)) or set(value) == {"min", "max"}


def test_the_lengths_told_are_those_enforced(base_url, person):
    auth = requests.get(f"{base_url}/auth/limits").json()
    ws = requests.get(f"{base_url}/ws/limits").json()
    users = requests.get(f"{base_url}/users/limits").json()

    longest_name = "n" + "x" * (auth["username_length"]["max"] - 1)
    assert (
        requests.post(
            f"{base_url}/auth/register", json={"username": longest_name + "x", "password": "p" * 8}
        ).status_code
        == 400
    )
    shortest_password = "p" * auth["password_length"]["min"]
    assert (
        requests.post(
            f"{base_url}/auth/register", json={"username": "y" + longest_name[1:], "password": shortest_password[1:]}
        ).status_code
        == 400
    )

    room = person.post("/ws/createRoom", json={"name": "r" * ws["room_name_length"]["max"]}).json()["id"]
    too_long_name = person.post("/ws/createRoom", json={"name": "r" * (ws["room_name_length"]["max"] + 1)})
    assert too_long_name.status_code == 400
    longest = "m" * ws["message_length"]["max"]
    assert person.post(f"/ws/rooms/{room}/messages", json={"content": longest}).status_code == 201
    assert person.post(f"/ws/rooms/{room}/messages", json={"content": longest + "m"}).status_code == 400

    longest_post = "p" * users["post_length"]["max"]
    assert person.post("/users/posts", json={"content": longest_post}).status_code == 201
    assert person.post("/users/posts", json={"content": longest_post + "p"}).status_code == 400
    assert users["username_length"] == auth["username_length"]


def test_ws_tells_its_typing_interval_and_its_configured_rates(base_url):
    ws = requests.get(f"{base_url}/ws/limits").json()
    assert ws["typing_interval_seconds"] == TYPING_INTERVAL_SECONDS
    # The test server runs with GENEROUS_LIMITS.
    assert ws["messages_per_second"] == float(GENEROUS_LIMITS["MESSAGE_RATE_PER_SECOND"])
    assert ws["message_burst"] == int(GENEROUS_LIMITS["MESSAGE_BURST"])
