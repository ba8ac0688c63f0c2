"""The gateway's path layout in WSGI, as nginx lays it out in the microservices deployment."""

from pathlib import Path

from flask import Flask, send_from_directory
from werkzeug.utils import redirect

import auth_service
import user_service
import ws_service
from shared.errors import register_error_handlers

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

# The web client's security headers; nginx/parley.conf.template sets the same (a test compares them).
# No inline script or style anywhere, no framing, and the page talks only to its own origin.
WEB_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class Gateway:
    """Routes a request by its path prefix: /auth/ and /users/ lose the prefix, /ws/ keeps it. The
    services' metrics go through only where a METRICS_TOKEN guards them (nginx never lets them out)."""

    def __init__(self, stripped, kept, fallback, metrics_guarded):
        self._stripped = stripped
        self._kept = kept
        self._fallback = fallback
        self._hidden = set() if metrics_guarded else {f"{prefix}/metrics" for prefix in (*stripped, *kept)}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in self._hidden:
            return self._fallback(environ, start_response)  # its 404
        for prefix in (*self._stripped, *self._kept):
            if path == prefix:
                # As nginx does for a `location /prefix/`: the bare prefix moves to the slashed one.
                return redirect(prefix + "/", code=301)(environ, start_response)
        for prefix, app in self._stripped.items():
            if path.startswith(prefix + "/"):
                return app({**environ, "PATH_INFO": path[len(prefix) :]}, start_response)
        for prefix, app in self._kept.items():
            if path.startswith(prefix + "/"):
                return app(environ, start_response)
        return self._fallback(environ, start_response)


def create_web_app():
    """The web client's static files, with / serving index.html."""
    app = Flask(__name__, static_folder=None)
    register_error_handlers(app)

    @app.get("/")
    def index():
        return send_from_directory(WEB_DIR, "index.html")

    @app.get("/<path:name>")
    def static_file(name):
        return send_from_directory(WEB_DIR, name)

    @app.after_request
    def add_security_headers(response):
        response.headers.update(WEB_SECURITY_HEADERS)
        return response

    return app


def create_app(config):
    ws_app = ws_service.create_app(config)
    gateway = Gateway(
        stripped={"/auth": auth_service.create_app(config), "/users": user_service.create_app(config)},
        kept={"/ws": ws_app},
        fallback=create_web_app(),
        metrics_guarded=bool(config.metrics_token),
    )
    return gateway, ws_app
