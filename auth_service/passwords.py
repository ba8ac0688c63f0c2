"""bcrypt hashing off the gevent loop, so that a login storm does not stall the worker's other requests.

bcrypt releases the GIL, so a thread pool as large as the machine has cores hashes in parallel while
the worker's greenlets go on serving; logins beyond that wait their turn without blocking anyone.
"""

import base64
import hashlib
import secrets

import bcrypt
from gevent.threadpool import ThreadPool
from prometheus_client import Gauge

PASSWORD_HASHES_IN_FLIGHT = Gauge(
    "parley_password_hashes_in_flight", "bcrypt hashes and checks running or queued for the hashing threads"
)


def _bcrypt_input(password):
    # bcrypt reads at most 72 bytes (bcrypt 5 refuses more) and stops at NUL; passwords may be
    # 128 characters of any script. A base64 SHA-256 digest is 44 printable bytes that keep them all.
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


class PasswordHasher:
    def __init__(self, threads, rounds):
        self._pool = ThreadPool(threads)
        self._rounds = rounds
        # The hash of a random password nobody knows, at the same cost: checking an unknown user's
        # login against it takes as long as checking a real one, so timing does not tell which names exist.
        self._unknown_user_hash = bcrypt.hashpw(_bcrypt_input(secrets.token_urlsafe(32)), bcrypt.gensalt(rounds))

    @PASSWORD_HASHES_IN_FLIGHT.track_inprogress()
    def hash(self, password):
        hashed = self._pool.apply(bcrypt.hashpw, (_bcrypt_input(password), bcrypt.gensalt(self._rounds)))
        return hashed.decode("ascii")

    @PASSWORD_HASHES_IN_FLIGHT.track_inprogress()
    def verify(self, password, password_hash):
        """True if `password` matches; with no hash (unknown user) False, after the same work."""
        expected = password_hash.encode("ascii") if password_hash else self._unknown_user_hash
        matches = self._pool.apply(bcrypt.checkpw, (_bcrypt_input(password), expected))
        return matches and password_hash is not None
