"""Reading a JSON request body and its fields, refusing anything malformed with a 400 envelope."""
import json

from flask import request

from shared.errors import BadRequest


def json_object():
    """The request body as a dict; 400 if it is not a JSON object."""
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON and bytes that are not UTF-8; RecursionError, absurd nesting.
        raise BadRequest("The body must be valid JSON.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.", code="invalid_json")
    return body


def text_field(body, name, *, min_length, max_length, strip=False):
    """`body[name]` as a string of `min_length` to `max_length` characters, or 400."""
    if name not in body or body[name] is None:
        raise BadRequest(f"'{name}' is required.", code="missing_field")
    value = body[name]
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string.", code="wrong_type")
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
    if len(value) > max_length:
        raise BadRequest(f"'{name}' must be at most {max_length} characters.", code="too_long")
    return value
