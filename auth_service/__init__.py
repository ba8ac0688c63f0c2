"""auth_service: register, log in, log out, and who am I."""

from auth_service.passwords import PasswordHasher
from auth_service.routes import PASSWORD_LENGTH, bp
from shared.service import create_service_app, length_limit
from shared.validation import USERNAME_LENGTH


def create_app(config=None):
    app = create_service_app("auth_service", __name__, config)
    config = app.config["PARLEY"]
    app.extensions["parley_passwords"] = PasswordHasher(config.password_hash_threads, config.bcrypt_rounds)
    app.extensions["parley_limits"].update(
        username_length=length_limit(USERNAME_LENGTH), password_length=length_limit(PASSWORD_LENGTH)
    )
    app.register_blueprint(bp)
    return app
