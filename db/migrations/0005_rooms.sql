-- Chat rooms, who belongs to them, their messages, and each room's ordered event log.

CREATE TABLE rooms (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    private    boolean     NOT NULL DEFAULT false,
    -- A room outlives its owner's account; it is then nobody's to rename or delete.
    owner_id   bigint      REFERENCES users (id) ON DELETE SET NULL,
    -- The seq of the room's newest event. Taking the next one locks the row until commit, so
    -- seqs are handed out in commit order, and a rolled-back transaction gives its seq back.
    last_seq   bigint      NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX rooms_name_key ON rooms (lower(name));

CREATE TABLE room_members (
    room_id   bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);

CREATE INDEX room_members_user_idx ON room_members (user_id, room_id);

CREATE TABLE messages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id    bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    -- NULL once the author's account is deleted: the message stays, from "a deleted user".
    user_id    bigint      REFERENCES users (id) ON DELETE SET NULL,
    content    text        NOT NULL CHECK (char_length(content) <= 4000),
    client_id  text        CHECK (char_length(client_id) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at  timestamptz,
    deleted_at timestamptz
);

-- A send repeated with the same client_id by the same user in the same room is stored once.
CREATE UNIQUE INDEX messages_client_id_key ON messages (room_id, user_id, client_id) WHERE client_id IS NOT NULL;

-- Every persisted event of a room, gapless by seq: a message, an edit, a delete.
CREATE TABLE room_events (
    room_id    bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        bigint      NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('message', 'message_edited', 'message_deleted')),
    message_id bigint      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- The new content of an edit (emptied when the message is deleted).
    content    text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, seq)
);

CREATE INDEX room_events_message_idx ON room_events (message_id);
