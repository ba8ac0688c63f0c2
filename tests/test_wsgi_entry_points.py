"""Each service's gunicorn command line, as docker compose and `make stack` run it."""
import os
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import REPO, Person, free_port


@pytest.fixture(scope="module")
def gunicorn_services(database_url, tmp_path_factory):
    logs = tmp_path_factory.mktemp("gunicorn")
    started = {}
    for service in ("auth_service", "user_service", "ws_service"):
        port = free_port()
        log = open(logs / f"{service}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}",
             f"{service}.wsgi:app"],
            cwd=REPO, env={**os.environ, "DATABASE_URL": database_url}, stdout=log, stderr=subprocess.STDOUT)
        started[service] = (f"http://127.0.0.1:{port}", process, log)
    for url, process, _ in started.values():
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "gunicorn exited"
            try:
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"{url} never became healthy"
            time.sleep(0.1)
    yield {service: url for service, (url, _, _) in started.items()}
    for _, process, log in started.values():
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_auth_service_under_gunicorn_gevent_serves_the_whole_flow(gunicorn_services):
    url = gunicorn_services["auth_service"]
    person = Person(url)
    # On its own port the service has no /auth prefix: Person speaks the gateway's paths, so ask directly.
    response = requests.post(f"{url}/register", json={"username": person.username, "password": person.password})
    assert response.status_code == 201
    token = requests.post(f"{url}/login", json={"username": person.username,
                                                "password": person.password}).json()["access_token"]
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
    response = requests.get(f"{gunicorn_services[service]}/metrics")
    assert response.status_code == 200
    assert "parley_http_requests_total" in response.text
