-- Direct messages, read state, blocks and mentions.

-- A 'dm' is the private room of exactly two people, opened with POST /ws/dm/{userId}. It has no
-- owner: no one renames it, deletes it or adds a third person.
ALTER TABLE rooms ADD COLUMN kind text NOT NULL DEFAULT 'room' CHECK (kind IN ('room', 'dm'));

-- A DM is named after its two people; only the names people choose must be unique.
DROP INDEX rooms_name_key;
CREATE UNIQUE INDEX rooms_name_key ON rooms (lower(name)) WHERE kind = 'room';

-- The one DM room of each pair of people (the smaller id first).
CREATE TABLE direct_rooms (
    user_low  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_high bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id   bigint NOT NULL UNIQUE REFERENCES rooms (id) ON DELETE CASCADE,
    PRIMARY KEY (user_low, user_high),
    CHECK (user_low < user_high)
);

-- Up to which seq each member has read the room; it never moves backwards.
ALTER TABLE room_members ADD COLUMN last_read_seq bigint NOT NULL DEFAULT 0;

-- Who may open a DM with this user: anyone, or only the people they follow. user_service sets it,
-- ws_service reads it.
ALTER TABLE users ADD COLUMN dms_from text NOT NULL DEFAULT 'everyone' CHECK (dms_from IN ('everyone', 'following'));

-- A block stops DMs both ways between the two people, at once.
CREATE TABLE blocks (
    blocker_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);

CREATE INDEX blocks_blocked_idx ON blocks (blocked_id, blocker_id);

-- A message that names a user as @username, for GET /ws/mentions.
CREATE TABLE mentions (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, message_id)
);

CREATE INDEX mentions_message_idx ON mentions (message_id);
