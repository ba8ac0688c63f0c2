"""What ws_service's hub does with what the process's database listener hears
(shared/database_events.py): a session ended closes the sockets it opened, a membership ended the
sockets that membership held, on whichever process nginx placed them; the user event streams hear
of every room joined, renamed, left or deleted. The hub's sweep still checks every few seconds,
and once each time the listener (re)connects, for whatever was said while no one listened."""

from typing import Any

from shared.database_events import DatabaseEvents, is_id
from shared.storage import MEMBERSHIPS_ENDED_CHANNEL, ROOMS_CHANGED_CHANNEL
from ws_service.hub import RoomHub


def close_sockets_on_database_events(events: DatabaseEvents, hub: RoomHub) -> None:
    events.on_connect(hub.check_sessions)
    events.on_sessions_ended(hub.end_sessions)
    events.on_notify(MEMBERSHIPS_ENDED_CHANNEL, lambda said: _membership_ended(said, hub))
    events.on_notify(ROOMS_CHANGED_CHANNEL, lambda said: _room_changed(said, hub))


def _membership_ended(said: dict[str, Any], hub: RoomHub) -> None:
    """A member left a room (user_id), or the room was deleted (no user_id)."""
    room_id, user_id = said.get("room_id"), said.get("user_id")
    if not is_id(room_id) or not (user_id is None or is_id(user_id)):
        raise ValueError("no room, or not a user")
    hub.room_removed(room_id, user_id)


def _room_changed(said: dict[str, Any], hub: RoomHub) -> None:
    """A member joined or was added (`added`, with user_id, quiet for a DM opened by the other), or
    the room was renamed (`updated`)."""
    room_id, change = said.get("room_id"), said.get("change")
    if not is_id(room_id):
        raise ValueError("no room")
    if change == "added":
        user_id, quiet = said.get("user_id"), said.get("quiet", False)
        if not is_id(user_id) or not isinstance(quiet, bool):
            raise ValueError("not a user")
        hub.room_added(room_id, user_id, quiet)
    elif change == "updated":
        hub.room_updated(room_id)
    else:
        raise ValueError("no such change")
