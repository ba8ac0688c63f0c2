"""Each service's gunicorn command line, as docker compose and `make stack` run it."""

import pytest
import requests

from tests.conftest import METRICS_HEADERS, GunicornService, Person


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
