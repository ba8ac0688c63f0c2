"""deploy/k8s, checked offline: rendered by Debian's kubectl (kustomize), every object valid against
the Kubernetes API's own schemas (kubernetes-validate, strict: an unknown field is an error), and
consistent with the code and the compose file: images, commands, ports, the environment the
services read, probes, selectors, the migration Job, draining, and the gateway's nginx files."""

import re
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from tests.conftest import REPO
from ws_service.connection import CLOSE_GRACE_SECONDS

# The oldest Kubernetes still supported upstream when this was written, and the newest schemas here.
API_VERSIONS = ["1.32.0", kubernetes_validate.latest_version()]
PYTHON_SERVICES = {"auth-service": "auth_service", "user-service": "user_service", "ws-service": "ws_service"}
SECRET_KEYS = {"JWT_SECRET", "DATABASE_URL"}  # parley-secrets, made by whoever deploys (README)


def kubectl():
    found = shutil.which("kubectl")
    assert found, "kubectl is not installed: `make test` installs it with apt-get"
    return found


@pytest.fixture(scope="module")
def objects():
    rendered = subprocess.run(
        [kubectl(), "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(REPO / "deploy" / "k8s")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rendered.returncode == 0, rendered.stderr
    return [document for document in yaml.safe_load_all(rendered.stdout) if document]


def find(objects, kind, name):
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def pod_spec(workload):
    return workload["spec"]["template"]["spec"]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def names_the_services_read():
    """Every environment variable shared/config.py reads."""
    source = (REPO / "shared" / "config.py").read_text()
    return set(re.findall(r'environ(?:\.get\(|, )"([A-Z_]+)"', source))


@pytest.mark.parametrize("version", API_VERSIONS)
def test_every_object_is_valid_for_the_kubernetes_api(objects, version):
    for o in objects:
        kubernetes_validate.validate(o, version, strict=True)
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {"parley"}


def test_the_validation_refuses_a_field_the_api_does_not_have(objects):
    broken = find(objects, "Deployment", "ws-service")
    broken = {**broken, "spec": {**broken["spec"], "replicaz": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, API_VERSIONS[-1], strict=True)


def test_it_has_the_whole_deployment(objects):
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for name in [*PYTHON_SERVICES, "gateway", "redis"]:
        assert ("Deployment", name) in kinds and ("Service", name) in kinds, name
    assert {
        ("Job", "migrate"),
        ("HorizontalPodAutoscaler", "ws-service"),
        ("PodDisruptionBudget", "ws-service"),
    } <= kinds


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_each_service_runs_the_compose_command_in_the_parley_image(objects, compose, name):
    container = pod_spec(find(objects, "Deployment", name))["containers"][0]
    assert container["image"] == compose["services"][PYTHON_SERVICES[name]]["image"] == "parley:latest"
    assert container["command"] == compose["services"][PYTHON_SERVICES[name]]["command"]
    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
    service = find(objects, "Service", name)
    assert service["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http"}]


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_each_service_reads_its_settings_and_secrets_and_waits_for_the_migrations(objects, name):
    spec = pod_spec(find(objects, "Deployment", name))
    container = spec["containers"][0]
    sources = [{"configMapRef": {"name": "parley-config"}}, {"secretRef": {"name": "parley-secrets"}}]
    assert container["envFrom"] == sources
    (waiting,) = spec["initContainers"]
    assert waiting["command"] == ["python", "-m", "db.migrate", "--wait"]
    assert (waiting["image"], waiting["envFrom"]) == (container["image"], sources)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert "USER 10001" in (REPO / "Dockerfile").read_text()  # numeric: runAsNonRoot can check it


def test_the_settings_are_ones_the_services_read_and_production_ones(objects):
    settings = find(objects, "ConfigMap", "parley-config")["data"]
    read = names_the_services_read()
    assert set(settings) <= read, set(settings) - read
    assert read >= SECRET_KEYS
    assert settings["PARLEY_ENV"] == "production"  # refuses a missing or short JWT_SECRET at start
    redis_port = find(objects, "Service", "redis")["spec"]["ports"][0]["port"]
    assert settings["REDIS_URL"] == f"redis://redis:{redis_port}/0"
    assert not any(o["kind"] == "Secret" for o in objects)  # never in the repository


def test_the_migration_job_applies_the_schema_once(objects):
    job = find(objects, "Job", "migrate")
    (container,) = pod_spec(job)["containers"]
    assert container["command"] == ["python", "-m", "db.migrate"]
    assert container["image"] == "parley:latest"
    assert pod_spec(job)["restartPolicy"] == "OnFailure"


@pytest.mark.parametrize("name", PYTHON_SERVICES)
def test_readiness_follows_the_health_check_and_liveness_only_the_process(objects, name):
    container = pod_spec(find(objects, "Deployment", name))["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/", "port": "http"}  # no database in it
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_every_service_and_budget_selects_the_pods_of_its_workload(objects):
    for service in (o for o in objects if o["kind"] == "Service"):
        labels = find(objects, "Deployment", service["metadata"]["name"])["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items(), service["metadata"]["name"]
    ws_labels = find(objects, "Deployment", "ws-service")["spec"]["template"]["metadata"]["labels"]
    assert (
        find(objects, "PodDisruptionBudget", "ws-service")["spec"]["selector"]["matchLabels"].items()
        <= ws_labels.items()
    )
    target = find(objects, "HorizontalPodAutoscaler", "ws-service")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "ws-service")


def test_a_ws_service_pod_drains_its_sockets_within_its_grace_period(objects):
    spec = pod_spec(find(objects, "Deployment", "ws-service"))
    container = spec["containers"][0]
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    graceful = int(container["command"][container["command"].index("--graceful-timeout") + 1])
    # After the pause, SIGTERM: sockets closed with 1001, at most CLOSE_GRACE_SECONDS waiting for
    # clients to answer the close, within gunicorn's graceful timeout; all before the kill.
    assert graceful >= CLOSE_GRACE_SECONDS
    assert pause + graceful < spec["terminationGracePeriodSeconds"]
    assert find(objects, "Deployment", "ws-service")["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_gateway_runs_the_repos_nginx_files_with_upstreams_at_the_services(objects, compose):
    gateway = pod_spec(find(objects, "Deployment", "gateway"))
    (nginx,) = gateway["containers"]
    assert nginx["image"] == compose["services"]["nginx"]["image"]
    files = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("gateway-nginx"))
    assert files["data"]["nginx.conf"] == (REPO / "nginx" / "nginx.conf").read_text()
    template = (REPO / "nginx" / "parley.conf.template").read_text()
    assert files["data"]["default.conf.template"] == template
    env = {variable["name"]: variable["value"] for variable in nginx["env"]}
    assert {f"PARLEY_{v}" for v in re.findall(r"\$\{PARLEY_(\w+)\}", template)} <= set(env)
    for variable, name in (("PARLEY_AUTH_SERVERS", "auth-service"), ("PARLEY_USER_SERVERS", "user-service")):
        assert env[variable] == f"server {name}:{find(objects, 'Service', name)['spec']['ports'][0]['port']};"
    assert (
        env["PARLEY_WS_SERVERS"]
        == f"server ws-service:{find(objects, 'Service', 'ws-service')['spec']['ports'][0]['port']};"
    )
    assert nginx["ports"] == [{"name": "http", "containerPort": int(env["PARLEY_LISTEN"])}]
    mounts = {mount["mountPath"]: mount.get("subPath") for mount in nginx["volumeMounts"]}
    assert mounts["/etc/nginx/nginx.conf"] == "nginx.conf"
    assert mounts["/etc/nginx/templates/default.conf.template"] == "default.conf.template"
    assert env["PARLEY_WEB_ROOT"] in mounts
    (web,) = gateway["initContainers"]
    assert web["image"] == "parley:latest" and web["command"][-2].startswith("/app/web")
    assert "COPY web ./web" in (REPO / "Dockerfile").read_text()
