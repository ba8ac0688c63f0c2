"""The room events of the contract, shaped from stored rows."""

import re
from collections.abc import Callable, Mapping
from typing import Any

from ws_service.frames import EventDict

# A message whose author deleted their account. "[" cannot appear in a username, so no one
# can pass for it.
DELETED_USER = {"id": None, "username": "[deleted]"}

# "@name" where name could be a username and is not the tail of a longer word (an e-mail address).
MENTION = re.compile(r"(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})")
MAX_MENTIONS = 20

# (room_id, after_seq, limit) -> the stored events after after_seq, in seq order, from the database.
FetchEvents = Callable[[int, int, int], list[EventDict]]


def event_from_row(row: Mapping[str, Any]) -> EventDict:
    base = {"room_id": row["room_id"], "seq": row["seq"], "id": row["id"]}
    if row["kind"] == "message":
        user = {"id": row["user_id"], "username": row["username"]} if row["user_id"] is not None else DELETED_USER
        return {
            "type": "message",
            **base,
            "user": user,
            "content": row["content"],
            "client_id": row["client_id"],
            "reply_to": row["reply_to"],  # the thread's root, or None
            "attachments": [attachment_view(row["room_id"], attachment) for attachment in row["attachments"] or ()],
            "created_at": row["created_at"],
        }
    if row["kind"] == "message_edited":
        return {"type": "message_edited", **base, "content": row["edit_content"], "edited_at": row["event_at"]}
    if row["kind"] in ("reaction_added", "reaction_removed"):
        actor = {"id": row["actor_id"], "username": row["actor_name"]} if row["actor_id"] is not None else DELETED_USER
        return {"type": row["kind"], **base, "emoji": row["emoji"], "user": actor}
    return {"type": "message_deleted", **base}


def attachment_url(room_id: int, attachment_id: int) -> str:
    return f"/ws/rooms/{room_id}/attachments/{attachment_id}"


def attachment_view(room_id: int, attachment: Mapping[str, Any]) -> dict[str, Any]:
    """A file as a message event and the upload's answer show it."""
    return {
        "id": attachment["id"],
        "name": attachment["name"],
        "size": attachment["size"],
        "content_type": attachment["content_type"],
        "url": attachment_url(room_id, attachment["id"]),
        "width": attachment["width"],
        "height": attachment["height"],
    }


def presence_event(kind: str, room_id: int, user: Mapping[str, Any]) -> EventDict:
    """`join` or `leave`: not stored, no seq."""
    return {"type": kind, "room_id": room_id, "user": {"id": user["id"], "username": user["username"]}}


def typing_event(room_id: int, user: Mapping[str, Any]) -> EventDict:
    """Someone is typing in the room: not stored, no seq, not sent back to their own sockets."""
    return {"type": "typing", "room_id": room_id, "user": {"id": user["id"], "username": user["username"]}}


def mentioned_names(content: str) -> list[str]:
    """The lower-case usernames `content` mentions as @username (the first MAX_MENTIONS)."""
    names: list[str] = []
    for match in MENTION.finditer(content):
        name = match.group(1).rstrip(".").lower()  # "@bob." ends a sentence
        if name not in names and len(name) >= 3:
            names.append(name)
    return names[:MAX_MENTIONS]
