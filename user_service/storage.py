"""user_service's SQL: profiles, follows and posts. Driver errors become domain errors here."""

import psycopg2.errors

from shared.errors import Conflict, Unauthorized, UserNotFound


class AlreadyFollowing(Conflict):
    code = "already_following"
    message = "You already follow this user."


class AccountGone(Unauthorized):
    code = "token_revoked"
    message = "This account has been deleted."


PROFILE_COLUMNS = """
    u.id, u.username, u.created_at,
    (SELECT count(*) FROM follows f WHERE f.followee_id = u.id) AS followers,
    (SELECT count(*) FROM follows f WHERE f.follower_id = u.id) AS following
"""


def find_profile(cursor, user_id):
    cursor.execute(f"SELECT {PROFILE_COLUMNS} FROM users u WHERE u.id = %(user_id)s", {"user_id": user_id})
    return cursor.fetchone()


def find_profile_by_username(cursor, username):
    cursor.execute(
        f"SELECT {PROFILE_COLUMNS} FROM users u WHERE lower(u.username) = lower(%(username)s)", {"username": username}
    )
    return cursor.fetchone()


def user_exists(cursor, user_id):
    cursor.execute("SELECT 1 FROM users WHERE id = %(user_id)s", {"user_id": user_id})
    return cursor.fetchone() is not None


def _like_prefix(text):
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def list_users(cursor, prefix, after_id, limit):
    cursor.execute(
        """
        SELECT id, username FROM users
         WHERE lower(username) LIKE %(pattern)s ESCAPE '\\'
           AND id > %(after_id)s
         ORDER BY id
         LIMIT %(limit)s
        """,
        {"pattern": _like_prefix(prefix), "after_id": after_id, "limit": limit},
    )
    return cursor.fetchall()


def list_followers(cursor, user_id, after_id, limit):
    cursor.execute(
        """
        SELECT u.id, u.username FROM follows f JOIN users u ON u.id = f.follower_id
         WHERE f.followee_id = %(user_id)s AND f.follower_id > %(after_id)s
         ORDER BY f.follower_id
         LIMIT %(limit)s
        """,
        {"user_id": user_id, "after_id": after_id, "limit": limit},
    )
    return cursor.fetchall()


def list_following(cursor, user_id, after_id, limit):
    cursor.execute(
        """
        SELECT u.id, u.username FROM follows f JOIN users u ON u.id = f.followee_id
         WHERE f.follower_id = %(user_id)s AND f.followee_id > %(after_id)s
         ORDER BY f.followee_id
         LIMIT %(limit)s
        """,
        {"user_id": user_id, "after_id": after_id, "limit": limit},
    )
    return cursor.fetchall()


def insert_follow(cursor, follower_id, followee_id):
    try:
        cursor.execute(
            "INSERT INTO follows (follower_id, followee_id) VALUES (%(follower_id)s, %(followee_id)s)",
            {"follower_id": follower_id, "followee_id": followee_id},
        )
    except psycopg2.errors.UniqueViolation:
        raise AlreadyFollowing() from None
    except psycopg2.errors.ForeignKeyViolation as error:
        raise _missing_account(error, "follows_follower_id_fkey") from None


def delete_follow(cursor, follower_id, followee_id):
    """True if there was such a follow."""
    cursor.execute(
        "DELETE FROM follows WHERE follower_id = %(follower_id)s AND followee_id = %(followee_id)s",
        {"follower_id": follower_id, "followee_id": followee_id},
    )
    return cursor.rowcount == 1


def update_dms_from(cursor, user_id, dms_from):
    cursor.execute(
        "UPDATE users SET dms_from = %(dms_from)s WHERE id = %(user_id)s", {"user_id": user_id, "dms_from": dms_from}
    )


def find_settings(cursor, user_id):
    """The user's DM setting and whom they block (by name)."""
    cursor.execute(
        """
        SELECT u.dms_from,
               coalesce((SELECT json_agg(json_build_object('id', b.blocked_id, 'username', bu.username)
                                         ORDER BY bu.username)
                           FROM blocks b JOIN users bu ON bu.id = b.blocked_id
                          WHERE b.blocker_id = u.id), '[]') AS blocked
          FROM users u WHERE u.id = %(user_id)s
        """,
        {"user_id": user_id},
    )
    return cursor.fetchone()


def insert_block(cursor, blocker_id, blocked_id):
    """Block `blocked_id` (again: nothing changes)."""
    try:
        cursor.execute(
            """INSERT INTO blocks (blocker_id, blocked_id) VALUES (%(blocker_id)s, %(blocked_id)s)
               ON CONFLICT DO NOTHING""",
            {"blocker_id": blocker_id, "blocked_id": blocked_id},
        )
    except psycopg2.errors.ForeignKeyViolation as error:
        raise _missing_account(error, "blocks_blocker_id_fkey") from None


def _missing_account(error, own_account_fkey):
    """Which of the two accounts a row between two people names is gone (perhaps deleted a moment
    ago): the caller's own (their session is over), or the other's."""
    return AccountGone() if error.diag.constraint_name == own_account_fkey else UserNotFound()


def delete_block(cursor, blocker_id, blocked_id):
    cursor.execute(
        "DELETE FROM blocks WHERE blocker_id = %(blocker_id)s AND blocked_id = %(blocked_id)s",
        {"blocker_id": blocker_id, "blocked_id": blocked_id},
    )


def delete_user(cursor, user_id, token_ttl_seconds):
    """Remove the account; follows and posts go with it (ON DELETE CASCADE), and it is remembered as
    deleted while its tokens could still be unexpired (deleted_accounts). True if it existed."""
    cursor.execute("DELETE FROM revoked_tokens WHERE user_id = %(user_id)s", {"user_id": user_id})
    cursor.execute("DELETE FROM users WHERE id = %(user_id)s", {"user_id": user_id})
    existed = cursor.rowcount == 1
    cursor.execute(
        "INSERT INTO deleted_accounts (user_id) VALUES (%(user_id)s) ON CONFLICT DO NOTHING", {"user_id": user_id}
    )
    cursor.execute(
        "DELETE FROM deleted_accounts WHERE deleted_at < now() - make_interval(secs => %(ttl)s)",
        {"ttl": token_ttl_seconds},
    )
    return existed


POST_COLUMNS = "p.id, p.user_id, u.username, p.content, p.created_at"


def insert_post(cursor, user_id, content):
    try:
        cursor.execute(
            f"""
            WITH p AS (
                INSERT INTO posts (user_id, content) VALUES (%(user_id)s, %(content)s)
                RETURNING id, user_id, content, created_at)
            SELECT {POST_COLUMNS} FROM p JOIN users u ON u.id = p.user_id
            """,
            {"user_id": user_id, "content": content},
        )
    except psycopg2.errors.ForeignKeyViolation:
        raise AccountGone() from None
    return cursor.fetchone()


USER_POSTS_QUERY = f"""
    SELECT {POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.user_id
     WHERE p.user_id = %(user_id)s AND p.id < %(before_id)s
     ORDER BY p.id DESC
     LIMIT %(limit)s
"""

FEED_QUERY = f"""
    SELECT {POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.user_id
     WHERE p.user_id IN (SELECT followee_id FROM follows WHERE follower_id = %(user_id)s)
       AND p.id < %(before_id)s
     ORDER BY p.id DESC
     LIMIT %(limit)s
"""


def list_posts(cursor, user_id, before_id, limit):
    cursor.execute(USER_POSTS_QUERY, {"user_id": user_id, "before_id": before_id, "limit": limit})
    return cursor.fetchall()


def list_feed(cursor, user_id, before_id, limit):
    cursor.execute(FEED_QUERY, {"user_id": user_id, "before_id": before_id, "limit": limit})
    return cursor.fetchall()
