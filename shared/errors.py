"""The error family every service raises, and the one place that turns errors into the envelope.

Every error a client sees is `{"error": {"code", "message"}}` with the right status: no HTML page,
no traceback, no SQL text.
"""

import logging

from flask import jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 400
    code = "bad_request"
    message = "The request is not valid."

    def __init__(self, message=None, code=None, headers=None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.headers = headers or {}


class BadRequest(ApiError):
    status, code, message = 400, "bad_request", "The request is not valid."


class Unauthorized(ApiError):
    status, code, message = 401, "unauthorized", "A valid access token is required."


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFound(ApiError):
    status, code, message = 404, "not_found", "Nothing is here."


class UserNotFound(NotFound):
    """No account with that id or name: user_service and ws_service both look people up."""

    code = "user_not_found"
    message = "No such user."


class Conflict(ApiError):
    status, code, message = 409, "conflict", "This conflicts with what already exists."


class RequestTimeout(ApiError):
    status, code, message = 408, "request_timeout", "The request body did not arrive in time."

    def __init__(self, message=None):
        # Close afterwards: what is left of the body, if it ever comes, is not a request.
        super().__init__(message, headers={"Connection": "close"})


class PayloadTooLarge(ApiError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMediaType(ApiError):
    status, code, message = 415, "unsupported_media_type", "Send the body as JSON, with Content-Type: application/json."


class Unprocessable(ApiError):
    status, code, message = 422, "unprocessable", "The request cannot be carried out."


class RateLimited(ApiError):
    status, code, message = 429, "rate_limited", "Too many requests; try again later."

    def __init__(self, retry_after_seconds, message=None):
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after_seconds)))})


class ServiceUnavailable(ApiError):
    status, code, message = 503, "service_unavailable", "A service Parley depends on is down; try again soon."
    RETRY_AFTER_SECONDS = 5  # as nginx says for an upstream that is down

    def __init__(self, message=None, code=None):
        super().__init__(message, code, headers={"Retry-After": str(self.RETRY_AFTER_SECONDS)})


def error_response(status, code, message, headers=None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _snake_case(name):
    return name.strip().lower().replace(" ", "_").replace("-", "_").replace("'", "")


def register_error_handlers(app):
    @app.errorhandler(ApiError)
    def handle_api_error(error):
        return error_response(error.status, error.code, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error):
        code = "payload_too_large" if error.code == 413 else _snake_case(error.name)
        headers = {}
        if error.code == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return error_response(error.code, code, error.description or error.name, headers)

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")
