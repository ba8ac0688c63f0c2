"""What user_service does: each verb is one function that owns its transaction."""

from flask import current_app

from shared import db
from shared.errors import NotFound, Unprocessable, UserNotFound
from shared.storage import announce_sessions_ended
from shared.tokens import sessions_ended_here
from user_service import storage


class CannotFollowYourself(Unprocessable):
    code = "cannot_follow_yourself"
    message = "You cannot follow yourself."


class NotFollowing(NotFound):
    code = "not_following"
    message = "You do not follow this user."


class CannotBlockYourself(Unprocessable):
    code = "cannot_block_yourself"
    message = "You cannot block yourself."


def _next_key(rows, limit, key):
    """The cursor of the next page: the last row's key when the page is full, else None."""
    return rows[-1][key] if len(rows) == limit else None


def get_profile(user_id=None, username=None):
    with db.transaction() as cursor:
        if username is not None:
            profile = storage.find_profile_by_username(cursor, username)
        else:
            profile = storage.find_profile(cursor, user_id)
    if profile is None:
        raise UserNotFound()
    return profile


def search_users(prefix, after_id, limit):
    with db.transaction() as cursor:
        users = storage.list_users(cursor, prefix, after_id, limit)
    return {"users": users, "next_after_id": _next_key(users, limit, "id")}


def list_connections(user_id, direction, after_id, limit):
    """The followers of `user_id` (direction "followers") or whom they follow ("following")."""
    lister = storage.list_followers if direction == "followers" else storage.list_following
    with db.transaction() as cursor:
        if not storage.user_exists(cursor, user_id):
            raise UserNotFound()
        users = lister(cursor, user_id, after_id, limit)
    return {"users": users, "next_after_id": _next_key(users, limit, "id")}


def do_follow(follower_id, followee_id):
    if follower_id == followee_id:
        raise CannotFollowYourself()
    with db.transaction() as cursor:
        storage.insert_follow(cursor, follower_id, followee_id)
    return {"follower_id": follower_id, "followee_id": followee_id, "following": True}


def do_unfollow(follower_id, followee_id):
    with db.transaction() as cursor:
        if not storage.delete_follow(cursor, follower_id, followee_id):
            if not storage.user_exists(cursor, followee_id):
                raise UserNotFound()
            raise NotFollowing()
    return {"follower_id": follower_id, "followee_id": followee_id, "following": False}


def get_settings(user_id):
    with db.transaction() as cursor:
        return storage.find_settings(cursor, user_id)


def do_change_settings(user_id, dms_from):
    with db.transaction() as cursor:
        storage.update_dms_from(cursor, user_id, dms_from)
        return storage.find_settings(cursor, user_id)


def do_block(blocker_id, blocked_id):
    """Block a user: from now on neither can open a DM with the other or send in the one they have."""
    if blocker_id == blocked_id:
        raise CannotBlockYourself()
    with db.transaction() as cursor:
        storage.insert_block(cursor, blocker_id, blocked_id)
    return {"user_id": blocked_id, "blocked": True}


def do_unblock(blocker_id, blocked_id):
    with db.transaction() as cursor:
        storage.delete_block(cursor, blocker_id, blocked_id)
        if not storage.user_exists(cursor, blocked_id):
            raise UserNotFound()
    return {"user_id": blocked_id, "blocked": False}


def do_delete_account(user_id):
    """The account, its follows, its posts and every token it holds, in one transaction."""
    with db.transaction() as cursor:
        storage.delete_user(cursor, user_id, current_app.config["PARLEY"].token_ttl_seconds)
        announce_sessions_ended(cursor, user_id=user_id)
    sessions_ended_here(user_ids={user_id})


def do_create_post(user_id, content):
    with db.transaction() as cursor:
        return storage.insert_post(cursor, user_id, content)


def list_posts(user_id, before_id, limit):
    with db.transaction() as cursor:
        if not storage.user_exists(cursor, user_id):
            raise UserNotFound()
        posts = storage.list_posts(cursor, user_id, before_id, limit)
    return {"posts": posts, "next_before_id": _next_key(posts, limit, "id")}


def read_feed(user_id, before_id, limit):
    with db.transaction() as cursor:
        posts = storage.list_feed(cursor, user_id, before_id, limit)
    return {"posts": posts, "next_before_id": _next_key(posts, limit, "id")}
