"""Each service's gunicorn command line, as docker compose and `make stack` run it."""

import json
import re
import resource
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.all_in_one.test_strict_http import chunked, half_closed
from tests.conftest import METRICS_HEADERS, GunicornService, Person, raw_http


@pytest.fixture(scope="module")
def gunicorn_services(database_url, tmp_path_factory):
    logs = tmp_path_factory.mktemp("gunicorn")
    started = {
        name: GunicornService(name, {"DATABASE_URL": database_url}, logs / f"{name}.log")
        for name in ("auth_service", "user_service", "ws_service")
    }
    yield {name: service.url for name, service in started.items()}
    for service in started.values():
        assert service.stop() == 0


def test_auth_service_under_gunicorn_gevent_serves_the_whole_flow(gunicorn_services):
    url = gunicorn_services["auth_service"]
    person = Person(url)
    # On its own port the service has no /auth prefix: Person speaks the gateway's paths, so ask directly.
    response = requests.post(f"{url}/register", json={"username": person.username, "password": person.password})
    assert response.status_code == 201
    token = requests.post(f"{url}/login", json={"username": person.username, "password": person.password}).json()[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{url}/me", headers=headers).json()["username"] == person.username
    assert requests.post(f"{url}/logout", headers=headers).status_code == 202
    assert requests.get(f"{url}/me", headers=headers).status_code == 401


@pytest.mark.parametrize("service, paths", [("user_service", ["/"]), ("ws_service", ["/", "/ws/"])])
def test_the_other_services_answer_their_banner_under_gunicorn(gunicorn_services, service, paths):
    for path in paths:
        assert requests.get(f"{gunicorn_services[service]}{path}").json() == {"service": service, "status": "ok"}


@pytest.mark.parametrize("service", ["auth_service", "user_service", "ws_service"])
def test_each_service_exposes_prometheus_metrics_on_its_port(gunicorn_services, service):
    response = requests.get(f"{gunicorn_services[service]}/metrics", headers=METRICS_HEADERS)
    assert response.status_code == 200
    assert "parley_http_requests_total" in response.text


def test_under_gunicorn_silent_and_half_sent_connections_are_closed(gunicorn_services):
    """gunicorn's gevent worker reads each request under `keepalive` (gunicorn.conf.py: 2 s)."""
    address = urlsplit(gunicorn_services["ws_service"])
    for sent in (b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"):
        with socket.create_connection((address.hostname, address.port), timeout=15) as connection:
            connection.sendall(sent)
            started = time.monotonic()
            assert b"".join(iter(lambda: connection.recv(65536), b"")) == b""  # closed, nothing served
            assert time.monotonic() - started < 6


def test_gunicorn_raises_its_descriptor_limit_to_the_hard_one(database_url, tmp_path):
    """Started as on a machine whose soft limit is 1,024, its master and worker run at the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    try:
        service = GunicornService("auth_service", {"DATABASE_URL": database_url}, tmp_path / "auth.log")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        workers = children_of(service.process.pid)
        for pid in (service.process.pid, *workers):
            limits = re.search(r"Max open files\s+(\S+)\s+(\S+)", Path(f"/proc/{pid}/limits").read_text())
            assert limits.group(1) == limits.group(2) == str(hard)
    finally:
        service.stop()


def children_of(pid):
    """The pids whose parent is `pid`, read from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return children


def test_under_gunicorn_http_is_read_strictly_too(gunicorn_services, person):
    """As tests/all_in_one/test_strict_http.py for make run: half-sent headers, conflicting lengths
    and an oversized chunked body are refused, and nothing is served or stored from them."""
    url = gunicorn_services["user_service"]
    half_sent = half_closed(url, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: yes")
    assert b" 200 " not in half_sent.split(b"\r\n", 1)[0]
    auth = b"Authorization: Bearer " + person.token.encode() + b"\r\nContent-Type: application/json\r\n"
    body = b'{"content": "which length?"}'
    conflicting = raw_http(
        url,
        b"POST /posts HTTP/1.1\r\nHost: x\r\n"
        + auth
        + b"Content-Length: %d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (len(body), len(body) + 5)
        + body,
    )
    assert conflicting.startswith(b"HTTP/1.1 400")
    oversized = json.dumps({"content": "cut short?"}).encode() + b" " * (64 * 1024)
    answer = raw_http(
        url,
        b"POST /posts HTTP/1.1\r\nHost: x\r\n"
        + auth
        + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + chunked(oversized),
    )
    assert answer.startswith(b"HTTP/1.1 413") and b'"payload_too_large"' in answer
    assert person.get(f"/users/{person.id}/posts").json()["posts"] == []
