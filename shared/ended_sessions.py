"""Which sessions have ended, known in this process: tokens revoked (logout) and accounts deleted,
loaded from the database when the listener (shared/database_events.py) connects, and kept current
by what it hears and by what this process ends itself. While the listener is connected, a token is
checked here, with no database round trip (shared/tokens.authenticate); while it is not, the
database is asked."""

from typing import Any


class EndedSessions:
    def __init__(self) -> None:
        self._revoked: set[str] = set()  # token ids
        self._deleted: set[int] = set()  # user ids
        self._live = False  # whether the sets are the database's, kept current

    def is_live(self, claims: dict[str, Any]) -> bool | None:
        """Whether the token's session is still live; None if this process cannot tell now."""
        if not self._live:
            return None
        return claims["jti"] not in self._revoked and claims["user_id"] not in self._deleted

    def load(self, revoked: set[str], deleted: set[int]) -> None:
        """The database's view, read after the listener started listening: nothing said since is lost."""
        self._revoked, self._deleted, self._live = set(revoked), set(deleted), True

    def add(self, token_ids: set[str], user_ids: set[int]) -> None:
        self._revoked |= token_ids
        self._deleted |= user_ids

    def forget(self) -> None:
        """The listener lost its connection: what is said meanwhile goes unheard."""
        self._live = False
