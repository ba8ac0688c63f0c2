"""What auth_service does: register, log in, log out. Each is one function that owns its transaction."""
from shared import db
from shared.errors import Unauthorized
from shared.tokens import issue_token

from auth_service import storage


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "The username or password is wrong."


def do_register(hasher, username, password):
    password_hash = hasher.hash(password)
    with db.transaction() as cursor:
        return storage.insert_user(cursor, username, password_hash)


def do_login(config, hasher, username, password):
    """A new token for the user, or InvalidCredentials: the same answer, after the same work,
    whether the name is unknown or the password wrong."""
    with db.transaction() as cursor:
        credentials = storage.find_credentials(cursor, username) if username is not None else None
    password_hash = credentials["password_hash"] if credentials else None
    if not hasher.verify(password, password_hash):
        raise InvalidCredentials()
    return issue_token(config, credentials["id"])


def do_logout(claims):
    with db.transaction() as cursor:
        storage.revoke_token(cursor, claims["jti"], claims["user_id"], claims["exp"])
        storage.prune_expired_revocations(cursor)
