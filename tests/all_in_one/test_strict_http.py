"""The all-in-one reads HTTP strictly (issue 15, finding 3): what is not a whole, unambiguous request
is refused with the envelope, and nothing is served from it."""

import json
import socket
from urllib.parse import urlsplit

import pytest

from tests.conftest import raw_http


def half_closed(url, data):
    """What the server answers to `data` from a client that then closes its side, as one whose
    connection dropped mid-request."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: connection.recv(65536), b""))


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /auth/healthz HTTP/1.1\r\nHost: x\r\nX-Half: yes",
        b"GET /auth/healthz HTTP/1.1\r\nHost: x\r\n",
        b"GET /auth/healthz HTTP/1.1\r\n",
    ],
    ids=["in-a-header", "after-a-header", "after-the-request-line"],
)
def test_a_request_whose_headers_never_end_is_not_served(base_url, request_bytes):
    answer = half_closed(base_url, request_bytes)
    assert answer.startswith(b"HTTP/1.1 400") and b'"code": "bad_request"' in answer
    assert b'"status": "ok"' not in answer and b'"status":"ok"' not in answer


def test_conflicting_content_lengths_are_400_and_store_nothing(person, base_url):
    body = b'{"content": "which length?"}'
    answer = raw_http(
        base_url,
        b"POST /users/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + person.token.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
        % (len(body), len(body) + 5)
        + body,
    )
    assert answer.startswith(b"HTTP/1.1 400")
    assert person.get(f"/users/{person.id}/posts").json()["posts"] == []


def chunked(payload, size=8192):
    pieces = (payload[i : i + size] for i in range(0, len(payload), size))
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def post_chunked(person, base_url, payload):
    return raw_http(
        base_url,
        b"POST /users/posts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + person.token.encode()
        + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + chunked(payload),
    )


def test_a_chunked_body_over_the_limit_is_413_and_stores_nothing(person, base_url):
    oversized = json.dumps({"content": "cut short?"}).encode() + b" " * (64 * 1024)
    answer = post_chunked(person, base_url, oversized)
    assert answer.startswith(b"HTTP/1.1 413") and b'"payload_too_large"' in answer
    assert person.get(f"/users/{person.id}/posts").json()["posts"] == []


def test_a_chunked_body_within_the_limit_is_read_whole(person, base_url):
    answer = post_chunked(person, base_url, json.dumps({"content": "in pieces"}).encode() + b" " * 20_000)
    assert answer.startswith(b"HTTP/1.1 201")
    assert [post["content"] for post in person.get(f"/users/{person.id}/posts").json()["posts"]] == ["in pieces"]
