"""user_service: the social graph, profiles and posts (its routes arrive with issue 3)."""
from shared.service import create_service_app


def create_app(config=None):
    return create_service_app("user_service", __name__, config)
