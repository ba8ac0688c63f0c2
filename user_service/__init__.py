"""user_service: the social graph (follows), profiles, posts and account deletion."""

from shared.service import create_service_app, length_limit
from shared.validation import USERNAME_LENGTH
from user_service.routes import POST_LENGTH, bp


def create_app(config=None):
    app = create_service_app("user_service", __name__, config)
    app.extensions["parley_limits"].update(
        post_length=length_limit(POST_LENGTH), username_length=length_limit(USERNAME_LENGTH)
    )
    app.register_blueprint(bp)
    return app
