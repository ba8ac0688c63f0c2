"""A WebSocket lives no longer than the token it was opened with: logout, account deletion and
expiry each close it (1008, after an error frame naming why) at the hub's next sweep, in whichever
process holds it."""

import dataclasses

import pytest

from shared.tokens import issue_token
from tests.conftest import SocketClosed
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
