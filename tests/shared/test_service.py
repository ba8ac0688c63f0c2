"""What every service built on shared.service has."""

import re

import pytest

import auth_service
import user_service
import ws_service


@pytest.mark.parametrize("service", [auth_service, user_service, ws_service])
def test_the_openapi_document_lists_every_route_the_service_has(config, service):
    app = service.create_app(config)
    document = app.test_client().get("/openapi.json").json
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in document["paths"], f"{rule.rule} is not documented"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], f"{method} {rule.rule} is not documented"


@pytest.mark.parametrize("service", [auth_service, user_service, ws_service])
def test_every_documented_operation_is_a_route_the_service_has(config, service):
    app = service.create_app(config)
    document = app.test_client().get("/openapi.json").json
    routes = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), set()).update(rule.methods)
    for path, item in document["paths"].items():
        assert path in routes, f"{path} is documented but no route answers it"
        for method in item:
            assert method.upper() in routes[path], f"{method.upper()} {path} is documented but not routed"
