"""The peer baseline for HTTP reads: a bare WSGI function under the same gunicorn gevent worker as
Parley's services, doing the visible part of the job (check the bearer token's signature and
expiry, answer the same JSON shapes) from memory: no framework, no database.

`gunicorn -k gevent bench.peer_http:app`
"""

import json
import os

import jwt

SECRET = os.environ["JWT_SECRET"]  # the benchmark's, shared with the Parley it runs beside
ROOMS = {"rooms": [{"id": i, "name": f"room {i}", "private": False, "members": 1, "online": 0} for i in range(1, 11)]}


def app(environ, start_response):
    try:
        _scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError:
        return _answer(start_response, "401 Unauthorized", {"error": {"code": "unauthorized"}})
    path = environ["PATH_INFO"]
    if path == "/auth/me":
        return _answer(start_response, "200 OK", {"id": int(claims["sub"]), "username": "bench"})
    if path == "/ws/getRooms":
        return _answer(start_response, "200 OK", ROOMS)
    return _answer(start_response, "404 Not Found", {"error": {"code": "not_found"}})


def _answer(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
