"""What ws_service's hub does with what the process's database listener hears
(shared/database_events.py): a session ended closes the sockets it opened, a membership ended the
sockets that membership held, on whichever process nginx placed them. The hub's sweep still checks
every few seconds, and once each time the listener (re)connects, for whatever was said while no one
listened."""

from typing import Any

from shared.database_events import DatabaseEvents, is_id
from shared.storage import MEMBERSHIPS_ENDED_CHANNEL
from ws_service.hub import RoomHub


def close_sockets_on_database_events(events: DatabaseEvents, hub: RoomHub) -> None:
    events.on_connect(hub.check_sessions)
    events.on_sessions_ended(hub.end_sessions)
    events.on_notify(MEMBERSHIPS_ENDED_CHANNEL, lambda said: _close_membership(said, hub))


def _close_membership(said: dict[str, Any], hub: RoomHub) -> None:
    """A member left a room (user_id), or the room was deleted (no user_id)."""
    room_id, user_id = said.get("room_id"), said.get("user_id")
    if not is_id(room_id) or not (user_id is None or is_id(user_id)):
        raise ValueError("no room, or not a user")
    reason = "You left the room" if user_id is not None else "The room was deleted"
    hub.close_room(room_id, 1000, reason, user_id=user_id)
