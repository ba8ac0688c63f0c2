"""Reading a JSON request body and its fields, refusing anything malformed with a 400 envelope."""

import datetime
import json
import re

from flask import request
from werkzeug.routing import BaseConverter, ValidationError

from shared.errors import BadRequest, UnsupportedMediaType


def json_object():
    """The request body as a dict: 415 unless it says it is JSON, 400 if it is not a JSON object.
    A page on another site can make a browser post a form (text/plain, say) with our cookie, but not
    one that says application/json without our leave (CORS)."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    return parse_json_object(request.get_data(cache=True))


def parse_json_object(raw):
    """`raw` (bytes or str) as a dict; BadRequest if it is not a JSON object."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON and bytes that are not UTF-8; RecursionError, absurd nesting.
        raise BadRequest("This is not valid JSON.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("Expected a JSON object.", code="invalid_json")
    return body


def choice_field(body, name, choices):
    """`body[name]`, which must be one of the strings `choices`, or 400."""
    if name not in body or body[name] is None:
        raise BadRequest(f"'{name}' is required.", code="missing_field")
    if not isinstance(body[name], str) or body[name] not in choices:
        raise BadRequest(f"'{name}' must be one of: {', '.join(choices)}.", code="invalid_choice")
    return body[name]


def text_field(body, name, *, min_length, max_length, strip=False):
    """`body[name]` as a string of `min_length` to `max_length` characters, or 400. With `strip`, the
    surrounding whitespace goes, and `min_length` counts what is left; `max_length` counts what was
    sent, as the OpenAPI documents' maxLength does, so that a client checking the document is never
    told something else by the server."""
    if name not in body or body[name] is None:
        raise BadRequest(f"'{name}' is required.", code="missing_field")
    value = body[name]
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string.", code="wrong_type")
    if len(value) > max_length:
        raise BadRequest(f"'{name}' must be at most {max_length} characters.", code="too_long")
    if strip:
        value = value.strip()
    if "\x00" in value:
        raise BadRequest(f"'{name}' must not contain NUL characters.", code="invalid_text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (JSON "\ud800") is not text PostgreSQL or bcrypt can take.
        raise BadRequest(f"'{name}' is not valid Unicode text.", code="invalid_text") from None
    if len(value) < min_length:
        raise BadRequest(f"'{name}' must be at least {min_length} characters.", code="too_short")
    return value


# The contract's usernames: 3 to 32 of these characters, unique whatever their case.
USERNAME_CHARACTERS = re.compile(r"[A-Za-z0-9_.-]*")
USERNAME_LENGTH = (3, 32)


def could_be_username(text):
    return USERNAME_LENGTH[0] <= len(text) <= USERNAME_LENGTH[1] and bool(USERNAME_CHARACTERS.fullmatch(text))


MAX_ID = 2**63 - 1  # PostgreSQL bigint
INTEGER = re.compile(r"-?[0-9]{1,19}")


def int_arg(name, *, default=None, minimum=None, maximum=None):
    """Query parameter `name` as an int within bounds, `default` when absent, or 400 (an empty
    value too, as the documents say: an integer or nothing)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not INTEGER.fullmatch(raw):
        raise BadRequest(f"'{name}' must be an integer.", code="invalid_parameter")
    value = int(raw)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise BadRequest(f"'{name}' must be between {minimum} and {maximum}.", code="invalid_parameter")
    return value


def id_arg(name):
    """Query parameter `name` as a required id."""
    value = int_arg(name, minimum=1, maximum=MAX_ID)
    if value is None:
        raise BadRequest(f"'{name}' is required.", code="missing_parameter")
    return value


def limit_arg(default=20, maximum=100):
    return int_arg("limit", default=default, minimum=1, maximum=maximum)


class IdConverter(BaseConverter):
    """`<id:name>` in a route: a positive integer that fits a bigint. Anything else is no route
    at all (404), rather than a number PostgreSQL would refuse."""

    regex = r"[1-9][0-9]{0,18}"

    def to_python(self, value):
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value):
        return str(value)


# A timestamp as the contract writes it: ISO 8601 in UTC, with a Z.
TIMESTAMP_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")


def timestamp_text(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
