"""ws_service: rooms and the real-time hub (its routes arrive with issue 4).

Its paths begin with /ws/ on its own port, as behind the gateway, which keeps the prefix.
"""
from shared.service import create_service_app


def create_app(config=None):
    return create_service_app("ws_service", __name__, config, path_prefixes=("", "/ws"))
