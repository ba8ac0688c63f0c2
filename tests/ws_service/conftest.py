"""Every ws_service test runs twice: through the all-in-one process (make run) and against
ws_service under its own gunicorn gevent command line (the microservices layout)."""

import re

import pytest
import requests

from tests.conftest import GENEROUS_LIMITS, METRICS_HEADERS, GunicornService, Person


def long_polls_waiting(ws_base_url):
    """How many HTTP long-polls the ws_service process at `ws_base_url` has waiting now."""
    metrics = requests.get(f"{ws_base_url}/ws/metrics", headers=METRICS_HEADERS, timeout=10).text
    return float(re.search(r"^parley_long_polls_waiting (\S+)$", metrics, re.M).group(1))


@pytest.fixture(scope="session")
def gunicorn_ws_service(database_url, tmp_path_factory):
    service = GunicornService(
        "ws_service",
        {"DATABASE_URL": database_url, **GENEROUS_LIMITS},
        tmp_path_factory.mktemp("gunicorn-ws") / "output.log",
    )
    yield service
    service.stop()


@pytest.fixture(scope="session", params=["all_in_one", "gunicorn"])
def ws_base_url(request, base_url):
    if request.param == "gunicorn":
        return request.getfixturevalue("gunicorn_ws_service").url
    return base_url


@pytest.fixture
def person(base_url, ws_base_url):
    return Person(base_url, ws_base_url=ws_base_url).register().login()


@pytest.fixture
def new_person(base_url, ws_base_url):
    return lambda **kwargs: Person(base_url, ws_base_url=ws_base_url, **kwargs)
