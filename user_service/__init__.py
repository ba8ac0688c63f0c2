"""user_service: the social graph (follows), profiles, posts and account deletion."""

from shared.service import create_service_app
from user_service.routes import bp


def create_app(config=None):
    app = create_service_app("user_service", __name__, config)
    app.register_blueprint(bp)
    return app
