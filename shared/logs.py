"""Structured logs: one JSON object per line on stderr, as nginx writes its access log, so that one
request can be followed by its request id from nginx through the service that answered it. With
LOG_FORMAT=text the same lines are written for a person to read.

What goes in a line is chosen, never dumped: a request is logged by its method, path (without the
query string), status, duration, user id and request id; no header, cookie or body ever is, so no
password or token can reach a log.
"""

import datetime
import json
import logging
import re
import sys
import time
import uuid

from flask import g, has_request_context, request
from gunicorn import glogging

from shared.config import log_format_from_env

REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
access_log = logging.getLogger("parley.access")


class JsonLines(logging.Formatter):
    def __init__(self, process):
        super().__init__()
        self._process = process

    def fields(self, record):
        """What a line says, in order: the same for both formats."""
        line = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "process": self._process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = g.get("request_id") if has_request_context() else None
        if request_id:
            line["request_id"] = request_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return line

    def format(self, record):
        return json.dumps(self.fields(record), default=str)


class TextLines(JsonLines):
    """`time level process logger: message key=value ...`, and a traceback on lines of its own."""

    def format(self, record):
        line = self.fields(record)
        error = line.pop("error", None)
        head = " ".join(str(line.pop(key)) for key in ("time", "level", "process"))
        text = f"{head} {line.pop('logger')}: {line.pop('message')}"
        text += "".join(f" {key}={value}" for key, value in line.items())
        return f"{text}\n{error}" if error else text


def formatter(process):
    return TextLines(process) if log_format_from_env() == "text" else JsonLines(process)


def configure(process):
    """Send every logger's lines, as JSON (or text), to stderr; `process` names who wrote them."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(process))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class GunicornLogger(glogging.Logger):
    """gunicorn's error log (its start-up lines, a worker's timeout) in the same JSON lines
    (gunicorn.conf.py names it)."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter("gunicorn"))


def init_app(app, service_name):
    """Give each request an id (the gateway's X-Request-ID if it sent a sane one), answer with it,
    and log the request once it is answered (with the duration shared/metrics.py measures)."""

    @app.before_request
    def take_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def log_request(response):
        request_id = g.get("request_id") or uuid.uuid4().hex  # a request refused before before_request
        response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")  # metrics.init_app times every request already
        user = g.get("user")
        access_log.info(
            "request",
            extra={
                "fields": {
                    "service": service_name,
                    "method": request.method,
                    "path": request.path,  # as the service sees it: /auth/me is /me, as behind nginx
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                    "user_id": user["id"] if user else None,
                }
            },
        )
        return response
