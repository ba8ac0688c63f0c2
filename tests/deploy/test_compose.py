"""docker-compose.yml, checked offline (no Docker engine runs here): its structure, that every
command it names exists in the repo, and that nginx's upstreams are its service names."""

import importlib
import re

import pytest
import yaml

from tests.conftest import REPO

PYTHON_SERVICES = ["auth_service", "user_service", "ws_service"]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_it_has_the_whole_deployment(compose):
    assert set(compose["services"]) == {"postgres", "redis", "migrate", "nginx", *PYTHON_SERVICES}
    assert "pgdata" in compose["volumes"]
    assert any(volume.startswith("pgdata:") for volume in compose["services"]["postgres"]["volumes"])


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_each_service_runs_its_wsgi_app_under_gunicorn_gevent(compose, name):
    command = compose["services"][name]["command"]
    assert command[:3] == ["gunicorn", "-k", "gevent"]
    module_name, _, attribute = command[-1].partition(":")
    assert module_name == f"{name}.wsgi"
    assert (REPO / name / "wsgi.py").is_file()
    source = (REPO / name / "wsgi.py").read_text()
    assert re.search(rf"^{attribute} = create_app\(\)$", source, re.M)
    assert source.index("make_cooperative()") < source.index("create_app()")


def test_migrations_run_once_before_the_services(compose):
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["python", "-m", "db.migrate"]
    assert importlib.util.find_spec("db.migrate") is not None
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in PYTHON_SERVICES:
        assert compose["services"][name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", [*PYTHON_SERVICES, "postgres", "redis"])
def test_everything_nginx_or_a_service_waits_for_has_a_healthcheck(compose, name):
    assert compose["services"][name]["healthcheck"]["test"]


def test_nginx_waits_for_every_service_to_be_healthy(compose):
    depends = compose["services"]["nginx"]["depends_on"]
    assert {name: spec["condition"] for name, spec in depends.items()} == {
        name: "service_healthy" for name in PYTHON_SERVICES
    }


def test_ws_service_can_be_scaled(compose):
    ws = compose["services"]["ws_service"]
    assert "container_name" not in ws
    assert "ports" not in ws


def test_production_settings_and_a_required_secret(compose):
    for name in [*PYTHON_SERVICES, "migrate"]:
        environment = compose["services"][name]["environment"]
        assert environment["PARLEY_ENV"] == "production"
        assert environment["JWT_SECRET"].startswith("${JWT_SECRET:?")
        assert (
            environment["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in environment["DATABASE_URL"]
        )
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["TRUSTED_PROXY_HOPS"] == "1"  # nginx's X-Forwarded-For names the client


def test_nginx_upstreams_are_the_compose_service_names(compose):
    nginx = compose["services"]["nginx"]
    template = (REPO / "nginx" / "parley.conf.template").read_text()
    upstreams = set(re.findall(r"^upstream (\w+)\s+\{\s*\$\{(PARLEY_\w+)\}", template, re.M))
    assert {name for name, _ in upstreams} == set(PYTHON_SERVICES)
    for name, variable in upstreams:
        assert nginx["environment"][variable] == f"server {name}:8000;"
    for variable in set(re.findall(r"\$\{(\w+)\}", template)):
        assert variable.startswith("PARLEY_") and variable in nginx["environment"], variable
    mounted = {volume.split(":")[0] for volume in nginx["volumes"]}
    assert mounted == {"./nginx/nginx.conf", "./nginx/parley.conf.template", "./web"}
    for path in mounted:
        assert (REPO / path).exists()


def nginx_main_setting(name):
    return int(re.search(rf"^\s*{name}\s+(\d+);", (REPO / "nginx" / "nginx.conf").read_text(), re.M).group(1))


def test_the_gateway_runs_the_shipped_main_configuration_with_the_descriptors_it_asks_for(compose):
    nginx = compose["services"]["nginx"]
    assert "./nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    # The image renders the site's template into conf.d, which the main configuration includes.
    assert "include /etc/nginx/conf.d/*.conf;" in (REPO / "nginx" / "nginx.conf").read_text()
    descriptors = nginx_main_setting("worker_rlimit_nofile")
    assert nginx["ulimits"]["nofile"] == {"soft": descriptors, "hard": descriptors}
    # A proxied WebSocket holds two connections; well past the image's default 1,024 per worker.
    assert 16384 <= nginx_main_setting("worker_connections") <= descriptors


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_each_service_may_open_the_descriptors_its_connections_need(compose, name):
    service = compose["services"][name]
    command = service["command"]
    connections = int(command[command.index("--worker-connections") + 1]) if "--worker-connections" in command else 1000
    limit = service["ulimits"]["nofile"]
    assert limit["soft"] == limit["hard"] >= connections + 1000  # the pool, Redis, logs and a margin


def test_the_image_copies_every_package_it_installs():
    dockerfile = (REPO / "Dockerfile").read_text()
    pyproject = (REPO / "pyproject.toml").read_text()
    packages = re.search(r"^packages = \[(.*)\]$", pyproject, re.M).group(1)
    for package in re.findall(r'"(\w+)"', packages):
        assert f"COPY {package} ./{package}" in dockerfile


def test_the_image_installs_the_locked_packages_with_their_hashes():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements/run.txt" in dockerfile
    assert "pip install --no-deps ." in dockerfile
