-- Reactions: an emoji a person put on a message, at most once each; each change is a stored room
-- event (reaction_added, reaction_removed) naming who and which emoji.
CREATE TABLE reactions (
    message_id bigint      NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji      text        NOT NULL CHECK (char_length(emoji) BETWEEN 1 AND 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, emoji, user_id)
);

ALTER TABLE room_events DROP CONSTRAINT room_events_kind_check;
ALTER TABLE room_events ADD CONSTRAINT room_events_kind_check
    CHECK (kind IN ('message', 'message_edited', 'message_deleted', 'reaction_added', 'reaction_removed'));
-- Who reacted, and with what: the reaction events' own (a message's author is the message's).
ALTER TABLE room_events
    ADD COLUMN user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN emoji   text;
