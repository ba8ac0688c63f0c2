"""The all-in-one process lays paths out as the gateway does."""

import re

import pytest
import requests

from all_in_one.gateway import WEB_SECURITY_HEADERS
from tests.conftest import METRICS_HEADERS, Person, RunningServer, raw_http

SERVICES = {"/auth": "auth_service", "/users": "user_service", "/ws": "ws_service"}


@pytest.mark.parametrize("prefix, name", SERVICES.items())
def test_each_service_answers_its_banner_under_its_prefix(base_url, prefix, name):
    response = requests.get(f"{base_url}{prefix}/")
    assert response.status_code == 200
    assert response.json() == {"service": name, "status": "ok"}


@pytest.mark.parametrize("prefix", SERVICES)
def test_each_service_is_healthy_with_its_database(base_url, prefix):
    response = requests.get(f"{base_url}{prefix}/healthz")
    assert response.status_code == 200
    # Every service has the process's database listener; ws_service also its hub's loops.
    loops = {"background": "ok"} if prefix == "/ws" else {}
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "listener": "ok", **loops}}


@pytest.mark.parametrize("prefix, name", SERVICES.items())
def test_each_service_serves_its_openapi_document(base_url, prefix, name):
    document = requests.get(f"{base_url}{prefix}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert name in document["info"]["title"]
    assert "/healthz" in document["paths"]


def test_metrics_count_requests_by_route_and_status(base_url):
    requests.get(f"{base_url}/auth/me")
    text = requests.get(f"{base_url}/auth/metrics", headers=METRICS_HEADERS).text
    assert re.search(
        r'parley_http_requests_total\{method="GET",route="/me",service="auth_service",status="401"\} \d', text
    )


def test_the_web_client_is_served_at_the_root(base_url):
    page = requests.get(f"{base_url}/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<title>Parley</title>" in page.text
    script = requests.get(f"{base_url}/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]


@pytest.mark.parametrize("path", ["/", "/app.js", "/style.css"])
def test_the_web_client_is_served_with_its_security_headers(base_url, path):
    response = requests.get(f"{base_url}{path}")
    assert response.status_code == 200
    for name, value in WEB_SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-page",
        "/auth/no-such-route",
        "/users/no/such/route",
        "/ws/nothing",
        "/../../etc/passwd",
        "/%2e%2e/pyproject.toml",
    ],
)
def test_unknown_paths_get_the_json_404_envelope(base_url, path):
    response = requests.get(f"{base_url}{path}")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("prefix", SERVICES)
def test_a_bare_prefix_moves_to_the_slashed_one(base_url, prefix):
    response = requests.get(f"{base_url}{prefix}", allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"{prefix}/")


def test_what_the_server_refuses_before_any_route_gets_the_envelope_too(base_url):
    overlong = requests.get(f"{base_url}/ws/getRooms?q={'x' * 9000}")
    assert overlong.status_code == 414
    assert overlong.json()["error"]["code"] == "uri_too_long"
    garbled = raw_http(base_url, b"NOT HTTP AT ALL\r\n\r\n")
    assert garbled.startswith(b"HTTP/1.1 400") and b'"code": "bad_request"' in garbled


@pytest.mark.parametrize("prefix", SERVICES)
def test_metrics_through_the_gateway_need_the_metrics_token(base_url, prefix):
    person = Person(base_url).register().login()  # a user's token is not the metrics token
    for headers in ({}, {"Authorization": f"Bearer {person.token}"}):
        refused = requests.get(f"{base_url}{prefix}/metrics", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "invalid_metrics_token"
    assert requests.get(f"{base_url}{prefix}/metrics", headers=METRICS_HEADERS).status_code == 200


def test_without_a_metrics_token_the_gateway_shows_no_metrics(database_url, tmp_path):
    server = RunningServer({"DATABASE_URL": database_url, "METRICS_TOKEN": ""}, tmp_path / "server.log")
    try:
        for prefix in SERVICES:
            hidden = requests.get(f"{server.url}{prefix}/metrics")
            assert hidden.status_code == 404
            assert hidden.json()["error"]["code"] == "not_found"
        assert requests.get(f"{server.url}/auth/healthz").status_code == 200  # the rest is there
    finally:
        server.stop()
