"""auth_service: register, log in, log out, and who am I."""

from auth_service.passwords import PasswordHasher
from auth_service.routes import bp
from shared.service import create_service_app


def create_app(config=None):
    app = create_service_app("auth_service", __name__, config)
    config = app.config["PARLEY"]
    app.extensions["parley_passwords"] = PasswordHasher(config.password_hash_threads, config.bcrypt_rounds)
    app.register_blueprint(bp)
    return app
