"""Prometheus metrics shared by every service: request counts and latencies by route and status."""

import time

from flask import g, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

# Defined once per process: the all-in-one process serves several services from one registry,
# told apart by the `service` label.
HTTP_REQUESTS = Counter(
    "parley_http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "parley_http_request_seconds", "Time to answer an HTTP request", ["service", "method", "route"]
)


def init_app(app, service_name):
    @app.before_request
    def start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def record(response):
        # The route pattern, not the path: /users/<id> is one series, not one per user.
        route = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(service_name, request.method, route, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            HTTP_LATENCY.labels(service_name, request.method, route).observe(time.perf_counter() - started)
        return response


def exposition():
    return generate_latest(), {"Content-Type": CONTENT_TYPE_LATEST}
