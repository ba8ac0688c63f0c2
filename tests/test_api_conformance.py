"""schemathesis against each service's own OpenAPI document, through the all-in-one gateway: for
every documented operation, input generated from its schema (valid, and deliberately invalid) never
gets a 500 and never an answer the document does not describe (status, content type, body, headers).
Invalid input must be refused with a 4xx."""

import json
from urllib.parse import urljoin

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import REPO, Person

# Where the gateway serves each service's document. Where it serves the operations, each document
# says itself (its first `servers` entry): that is what a client generated from it calls.
DOCUMENT_PREFIX = {"auth_service": "/auth", "user_service": "/users", "ws_service": "/ws"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
# Each costs bcrypt work (about 0.2 s) or a new account per example.
COSTLY = {
    ("auth_service", "POST", "/register"),
    ("auth_service", "POST", "/login"),
    ("auth_service", "POST", "/logout"),
    ("user_service", "DELETE", "/delete"),
}
ENDS_THE_SESSION = {("auth_service", "POST", "/logout"), ("user_service", "DELETE", "/delete")}


def documented_operations():
    common = json.loads((REPO / "shared" / "openapi_common.json").read_text())["paths"]
    for service in DOCUMENT_PREFIX:
        paths = json.loads((REPO / service / "openapi.json").read_text())["paths"]
        # ws_service answers the shared routes at its root too, on its own port only; the gateway
        # reaches the /ws/ copies (the same views).
        prefixes = ("/ws",) if service == "ws_service" else ("",)
        paths = {**paths, **{prefix + path: item for prefix in prefixes for path, item in common.items()}}
        for path, item in paths.items():
            for method, operation in item.items():
                yield service, method.upper(), path, GenerationMode.POSITIVE
                if operation.get("parameters") or item.get("parameters") or operation.get("requestBody"):
                    yield service, method.upper(), path, GenerationMode.NEGATIVE  # no input, nothing to break


OPERATIONS = sorted(set(documented_operations()), key=lambda operation: (*operation[:3], operation[3].value))


@pytest.fixture(scope="module")
def schemas(base_url):
    return {
        service: schemathesis.openapi.from_url(f"{base_url}{DOCUMENT_PREFIX[service]}/openapi.json")
        for service in DOCUMENT_PREFIX
    }


@pytest.fixture(scope="module")
def server_urls(base_url, schemas):
    """Each document's first server, resolved against where the document was fetched, as a client
    generated from it would."""
    return {
        service: urljoin(f"{base_url}{DOCUMENT_PREFIX[service]}/openapi.json", schema.raw_schema["servers"][0]["url"])
        for service, schema in schemas.items()
    }


def test_each_document_names_the_gateway_prefix_of_its_operations(server_urls, base_url):
    assert server_urls == {
        "auth_service": f"{base_url}/auth",
        "user_service": f"{base_url}/users",
        "ws_service": f"{base_url}/",
    }


@pytest.fixture(scope="module")
def caller(base_url):
    return Person(base_url).register().login()


@pytest.mark.parametrize(
    "service, method, path, mode",
    OPERATIONS,
    ids=lambda value: value.value if isinstance(value, GenerationMode) else value,
)
def test_operation_conforms_to_its_document(schemas, server_urls, caller, base_url, service, method, path, mode):
    operation = schemas[service][path][method]
    key = (service, method, path)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=8 if key in COSTLY else 40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case):
        person = Person(base_url).register().login() if key in ENDS_THE_SESSION else caller
        if isinstance(case.query, dict) and "wait" in case.query:
            case.query["wait"] = 0  # a long-poll of up to 30 s per example would only be slow
        case.call_and_validate(
            base_url=server_urls[service].rstrip("/"),
            checks=CHECKS,
            headers={"Authorization": f"Bearer {person.token}", **(case.headers or {})},
        )

    check()
