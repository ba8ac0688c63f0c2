"""A WebSocket lives no longer than the token it was opened with: logout, account deletion and
expiry each close it (1008, after an error frame naming why) at once, in whichever process holds
it; the hub's sweep is a backstop."""

import dataclasses
import time

import pytest

from shared.tokens import issue_token
from tests.conftest import GENEROUS_LIMITS, GunicornService, Person, RunningServer, SocketClosed
from ws_service.hub import SWEEP_SECONDS


def frames_until_closed(socket, timeout):
    frames = []
    with pytest.raises(SocketClosed) as closed:
        while True:
            frames.append(socket.receive(timeout=timeout))
    return frames, closed.value.code


def test_every_way_a_session_ends_closes_its_open_sockets(new_person, person, config):
    room = person.create_room()
    logged_out, deleted, expiring = (new_person().register().login() for _ in range(3))
    expiring.token, _ = issue_token(dataclasses.replace(config, token_ttl_seconds=2), expiring.id)
    sockets = {who: who.connect(room) for who in (logged_out, deleted, expiring)}
    bystander = person.connect(room)

    assert logged_out.post("/auth/logout").status_code == 202
    assert deleted.request("DELETE", "/users/delete").status_code == 204

    expected = {logged_out: "token_revoked", deleted: "token_revoked", expiring: "token_expired"}
    for who, code in expected.items():
        frames, close_code = frames_until_closed(sockets[who], timeout=2 * SWEEP_SECONDS + 5)
        assert close_code == 1008
        assert frames[-1]["type"] == "error" and frames[-1]["code"] == code
    bystander.send(type="send", content="still here", client_id="c1")
    assert bystander.stored_events(1)[0]["content"] == "still here"


@pytest.fixture(scope="module")
def slowly_sweeping_processes(database_url, tmp_path_factory):
    """The all-in-one and a ws_service process of their own whose sweeps come only every 10 minutes:
    whatever closes a socket sooner was told at once."""
    logs = tmp_path_factory.mktemp("slow-sweep")
    env = {"DATABASE_URL": database_url, "WS_SESSION_SWEEP_SECONDS": "600", **GENEROUS_LIMITS}
    gateway = RunningServer(env, logs / "all_in_one.log")
    other = GunicornService("ws_service", env, logs / "ws.log")
    yield gateway, other
    other.stop()
    gateway.stop()


def on(person, process_url):
    """The same person, signed in with the same token, talking to the ws_service at `process_url`."""
    elsewhere = Person(person.base_url, person.username, person.password, ws_base_url=process_url)
    elsewhere.token, elsewhere.id = person.token, person.id
    return elsewhere


def test_sessions_end_at_once_on_every_process_not_at_the_next_sweep(slowly_sweeping_processes, config):
    gateway, other = slowly_sweeping_processes
    owner = Person(gateway.url).register().login()
    room = owner.create_room()
    logged_out, deleted, expiring = (Person(gateway.url).register().login() for _ in range(3))
    expiring.token, _ = issue_token(dataclasses.replace(config, token_ttl_seconds=2), expiring.id)
    sockets = {
        who: [on(who, url).connect(room) for url in (gateway.url, other.url)] for who in (logged_out, deleted, expiring)
    }
    started = time.monotonic()
    assert logged_out.post("/auth/logout").status_code == 202
    assert deleted.request("DELETE", "/users/delete").status_code == 204
    expected = {logged_out: "token_revoked", deleted: "token_revoked", expiring: "token_expired"}
    for who, code in expected.items():
        for socket in sockets[who]:
            frames, close_code = frames_until_closed(socket, timeout=8)
            assert (close_code, frames[-1]["type"], frames[-1]["code"]) == (1008, "error", code)
    assert time.monotonic() - started < 10  # the sweeps, 600 s apart, had no part in it
