"""Files: uploaded to a room, sent with a message (actions.submit_message), served to the room's
members, and removed if never sent. The bytes live in PostgreSQL, in chunks, so that every process
and host serves every file and no process holds a whole one."""

import itertools
import logging

import gevent
from flask import current_app

from shared import db
from shared.errors import NotFound, PayloadTooLarge, RateLimited, ServiceUnavailable
from ws_service import images, storage
from ws_service.actions import member_room
from ws_service.events import attachment_view
from ws_service.file_kinds import HEAD_BYTES, INLINE_IMAGE_TYPES, content_type_of

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
UPLOAD_WINDOW_SECONDS = 3600
# An upload not sent with a message within this long is removed.
UNSENT_UPLOAD_SECONDS = 24 * 3600
MAX_NAME_LENGTH = 255


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    message = "No such file in this room."


class AttachmentTooLarge(PayloadTooLarge):
    code = "attachment_too_large"


def file_name(claimed):
    """The name a file is shown and saved under: the client's, without folders or control
    characters (it ends up in a Content-Disposition header), within MAX_NAME_LENGTH."""
    name = (claimed or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[:MAX_NAME_LENGTH] or "file"


def check_upload(room_id, user_id):
    """Before the body is read: `user_id` is a member of the room, and under their upload rate."""
    with db.autocommit() as cursor:
        member_room(cursor, room_id, user_id)
        _check_upload_rate(cursor, user_id)


def _check_upload_rate(cursor, user_id):
    limit = current_app.config["PARLEY"].attachment_uploads_per_hour
    if not limit:
        return
    recent = storage.uploads_since(cursor, user_id, UPLOAD_WINDOW_SECONDS)
    if recent["uploaded"] >= limit:
        raise RateLimited(
            UPLOAD_WINDOW_SECONDS - recent["oldest_age"],
            f"You have uploaded {limit} files in the last hour; try again later.",
        )


def do_upload(room_id, user_id, name, file):
    """Store the upload in `file` (seekable: werkzeug keeps a large one on disk, not in memory) for
    `user_id` to send in the room. Its type comes from its bytes; an image that decodes gets its
    size and a thumbnail, made in a thread so that the worker's other greenlets go on."""
    limit = current_app.config["PARLEY"].max_attachment_bytes
    size = file.seek(0, 2)
    if size > limit:
        raise AttachmentTooLarge(f"A file may be {limit} bytes at most.")
    file.seek(0)
    content_type = content_type_of(file.read(HEAD_BYTES))
    image = None
    if content_type in INLINE_IMAGE_TYPES:
        image = current_app.extensions["parley_image_threads"].apply(images.inspect, (file,))
    with db.transaction() as cursor:
        member_room(cursor, room_id, user_id)
        storage.lock_user(cursor, user_id)  # their uploads take turns: the count holds
        _check_upload_rate(cursor, user_id)
        attachment_id = storage.insert_attachment(cursor, room_id, user_id, name, size, content_type, image)
        file.seek(0)
        for n, chunk in enumerate(iter(lambda: file.read(CHUNK_BYTES), b"")):
            storage.insert_attachment_chunk(cursor, attachment_id, n, chunk)
    stored = {"id": attachment_id, "name": name, "size": size, "content_type": content_type}
    return attachment_view(room_id, {**stored, "width": image and image.width, "height": image and image.height})


def find_attachment(room_id, user_id, attachment_id):
    """The file if `user_id` may have it: a member of its room, and it was sent (or is their upload)."""
    with db.autocommit() as cursor:
        found = storage.attachment_for(cursor, room_id, attachment_id, user_id)
    if found is None:
        raise AttachmentNotFound()
    return found


def attachment_bytes(attachment_id, size):
    """The file's bytes, chunk by chunk, each read with a connection of its own: a slow download
    holds no database connection between its writes. The first chunk is read now, before the answer
    begins: a file removed since it was found (its message deleted, an unsent upload cleaned up) is
    a 404, not an answer that stops short of its Content-Length. An empty file has no chunks."""
    if size == 0:
        return iter(())
    first = _chunk(attachment_id, 0)
    if first is None:
        raise AttachmentNotFound()
    return itertools.chain([first], _chunks_after_first(attachment_id))


def _chunks_after_first(attachment_id):
    for n in itertools.count(1):
        chunk = _chunk(attachment_id, n)
        if chunk is None:
            return
        yield chunk


def _chunk(attachment_id, n):
    with db.autocommit() as cursor:
        chunk = storage.attachment_chunk(cursor, attachment_id, n)
    return None if chunk is None else bytes(chunk)


def thumbnail_of(attachment_id):
    with db.autocommit() as cursor:
        thumbnail = storage.attachment_thumbnail(cursor, attachment_id)
    if thumbnail is None:
        raise AttachmentNotFound("This file has no thumbnail.")
    return bytes(thumbnail)


def remove_unsent_uploads():
    with db.autocommit() as cursor:
        removed = storage.delete_unsent_attachments(cursor, UNSENT_UPLOAD_SECONDS)
    if removed:
        log.info("removed %d uploads never sent", removed)
    return removed


def remove_unsent_uploads_forever(app, every_seconds):
    """The periodic clean-up, in each process (a delete of what another removed first removes nothing)."""
    while True:
        gevent.sleep(every_seconds)
        with app.app_context():
            try:
                remove_unsent_uploads()
            except ServiceUnavailable as error:
                log.warning("could not look for unsent uploads (%s); trying again later", error.code)
