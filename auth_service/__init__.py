"""auth_service: register, log in, log out, and who am I."""
from shared.service import create_service_app

from auth_service.passwords import PasswordHasher
from auth_service.routes import bp


def create_app(config=None):
    app = create_service_app("auth_service", __name__, config)
    app.extensions["parley_passwords"] = PasswordHasher(app.config["PARLEY"].password_hash_threads)
    app.register_blueprint(bp)
    return app
