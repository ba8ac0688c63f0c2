"""What every Parley service is built on: the Flask app with its config, database pool, error
envelope, JSON dates, request ids and logs, metrics, and the routes each service answers (`/`, `/healthz`,
`/openapi.json`, `/metrics`).
"""

import datetime
import hmac
import io
import json
import re
from importlib import resources

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import database_events, db, logs, metrics
from shared.config import Config
from shared.errors import ApiError, PayloadTooLarge, ServiceUnavailable, Unauthorized, register_error_handlers
from shared.validation import IdConverter, timestamp_text


class ParleyJSONProvider(DefaultJSONProvider):
    """Timestamps as ISO 8601 UTC strings, as the contract says (Flask's default is an HTTP date)."""

    @staticmethod
    def default(value):
        if isinstance(value, datetime.datetime):
            return timestamp_text(value)
        return DefaultJSONProvider.default(value)


def create_service_app(service_name, package, config=None, path_prefixes=("",)):
    """A Flask app for service `service_name`, whose code and openapi.json live in `package`.

    The service routes answer under each of `path_prefixes` ("" is the root)."""
    config = config or Config.from_env()
    config.check_safe()
    app = Flask(package, static_folder=None)
    app.json = ParleyJSONProvider(app)
    app.url_map.converters["id"] = IdConverter
    app.config["PARLEY"] = config
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.extensions["parley_health_checks"] = {"database": _database_answers}
    app.extensions["parley_limits"] = {}  # GET /limits: each service adds what its clients need (limits())
    register_error_handlers(app)
    logs.init_app(app, service_name)
    # Routes that take more than MAX_BODY_BYTES (uploads): compiled path pattern -> their limit.
    larger_bodies: dict[re.Pattern, int] = {}
    app.extensions["parley_larger_bodies"] = larger_bodies
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, config.max_body_bytes, larger_bodies)
    if config.trusted_proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxy_hops)
    db.init_app(app, config)
    metrics.init_app(app, service_name)
    events = database_events.for_config(config)
    app.extensions["parley_database_events"] = events
    app.extensions["parley_ended_sessions"] = events.sessions
    app.extensions["parley_health_checks"]["listener"] = events.loops.check
    app.before_request(refuse_unread_body)
    blueprint = _service_blueprint(service_name, _openapi_document(package, path_prefixes))
    for prefix in path_prefixes:
        app.register_blueprint(blueprint, url_prefix=prefix or None, name=f"service{prefix.replace('/', '_')}")
    return app


def length_limit(bounds):
    """A (min, max) length as GET /limits shows it."""
    return {"min": bounds[0], "max": bounds[1]}


class ChunkedBodyLimit:
    """A chunked body has no Content-Length for MAX_CONTENT_LENGTH to refuse up front, and werkzeug
    reads such a stream unchecked: read it here, up to the limit, and past it (or when the server
    gives up waiting for it) hand the application no body and the refusal, which refuse_unread_body()
    raises through the usual error path."""

    def __init__(self, app, limit, larger_bodies):
        self._app = app
        self._limit = limit
        self._larger_bodies = larger_bodies  # path pattern -> the limit of the routes it matches

    def _limit_for(self, path):
        return next((limit for pattern, limit in self._larger_bodies.items() if pattern.fullmatch(path)), self._limit)

    def __call__(self, environ, start_response):
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            refusal = None
            limit = self._limit_for(environ.get("PATH_INFO", ""))
            try:
                body = environ["wsgi.input"].read(limit + 1)
            except ApiError as error:
                body, refusal = b"", error
            if len(body) > limit:
                # Close afterwards: the rest of the body is never read.
                message = f"The request body is larger than {limit} bytes."
                body, refusal = b"", PayloadTooLarge(message, headers={"Connection": "close"})
            environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
            if refusal is not None:
                environ[UNREAD_BODY_REFUSAL] = refusal
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self._app(environ, start_response)


UNREAD_BODY_REFUSAL = "parley.unread_body_refusal"


def refuse_unread_body():
    if refusal := request.environ.get(UNREAD_BODY_REFUSAL):
        raise refusal


def _openapi_document(package, path_prefixes):
    """The service's own openapi.json, with the routes every service shares added to it."""
    document = json.loads(resources.files(package).joinpath("openapi.json").read_text())
    common = json.loads(resources.files("shared").joinpath("openapi_common.json").read_text())
    for prefix in path_prefixes:
        for path, item in common["paths"].items():
            document["paths"][prefix + path] = item
    components = document.setdefault("components", {})
    for section, entries in common["components"].items():
        components.setdefault(section, {}).update(entries)
    # The server refuses an overlong request line before any route sees it, whatever the route; a
    # body that is not JSON wherever one is read; a cookie-authenticated change from another site.
    for item in document["paths"].values():
        for method, operation in item.items():
            responses = operation["responses"]
            responses.setdefault("414", {"$ref": "#/components/responses/UriTooLong"})
            if "requestBody" in operation:
                responses.setdefault("415", {"$ref": "#/components/responses/UnsupportedMediaType"})
            if method in ("post", "put", "patch", "delete") and {"cookie": []} in operation.get("security", []):
                responses.setdefault("403", {"$ref": "#/components/responses/CrossSiteRequest"})
    return document


def _database_answers():
    with db.transaction() as cursor:
        cursor.execute("SELECT 1")


def _service_blueprint(service_name, openapi):
    blueprint = Blueprint("service", __name__)

    @blueprint.get("/")
    def banner():
        return {"service": service_name, "status": "ok"}

    @blueprint.get("/healthz")
    def healthz():
        checks = {}
        for name, check in current_app.extensions["parley_health_checks"].items():
            try:
                check()
                checks[name] = "ok"
            except ServiceUnavailable:
                checks[name] = "unavailable"
        healthy = all(state == "ok" for state in checks.values())
        return jsonify({"status": "ok" if healthy else "unavailable", "checks": checks}), (200 if healthy else 503)

    @blueprint.get("/limits")
    def limits():
        return current_app.extensions["parley_limits"]

    @blueprint.get("/openapi.json")
    def openapi_document():
        return openapi

    @blueprint.get("/metrics")
    def prometheus_metrics():
        expected = current_app.config["PARLEY"].metrics_token
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if expected and not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized("The metrics token (METRICS_TOKEN) is required.", code="invalid_metrics_token")
        return metrics.exposition()

    return blueprint
