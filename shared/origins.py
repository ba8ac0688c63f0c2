"""Which web pages may act with a browser's session cookie: the gateway's own, and those set in
ALLOWED_ORIGINS. A browser sends the cookie with any request to our origin, whichever page makes it,
and says which page did in its Origin (or Referer) header; requests with a bearer token carry no
such risk, since no other page can read the token."""

from urllib.parse import urlsplit

from flask import request

from shared.config import Config
from shared.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CrossSiteRequest(Forbidden):
    code = "cross_site_request"
    message = "A change made with the session cookie must come from Parley's own pages."


def allowed(config: Config, origin: str) -> bool:
    """Whether `origin` (scheme://host:port) is the gateway's own or one configured."""
    return urlsplit(origin).netloc == request.host or origin in config.allowed_origins


def page_origin() -> str | None:
    """The origin of the page that made the request, as the browser says it, or None."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return origin
    referer = urlsplit(request.headers.get("Referer", ""))
    return f"{referer.scheme}://{referer.netloc}" if referer.scheme and referer.netloc else None


def check_cookie_request(config: Config) -> None:
    """Refuse a state change that the session cookie authenticates unless one of our pages made it."""
    if request.method in SAFE_METHODS or "Authorization" in request.headers:
        return
    origin = page_origin()
    if origin is None or not allowed(config, origin):
        raise CrossSiteRequest()
