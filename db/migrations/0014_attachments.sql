-- Files sent with messages. In PostgreSQL: every ws_service process and host reads the same files, a
-- message and its files commit together, and a backup of the database holds both.
CREATE TABLE attachments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room_id      bigint      NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    -- The uploader; NULL once their account is deleted (what they sent stays with the message).
    user_id      bigint      REFERENCES users (id) ON DELETE SET NULL,
    -- NULL until a message is sent with it; an upload never sent is removed after a day.
    message_id   bigint      REFERENCES messages (id) ON DELETE CASCADE,
    -- Where the send listed it among the message's files.
    position     smallint,
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    size         bigint      NOT NULL CHECK (size >= 0),
    -- From the bytes (magic numbers), never from what the client said.
    content_type text        NOT NULL,
    -- For images that decoded: their size as shown, and a small WebP of them.
    width        integer,
    height       integer,
    thumbnail    bytea,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX attachments_message_idx ON attachments (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_unsent_idx ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_uploader_idx ON attachments (user_id, created_at);

-- The bytes, in chunks: written as the upload is read and served as they are read back, so that no
-- process holds a whole file. Stored as they are (EXTERNAL): most files are compressed already.
CREATE TABLE attachment_chunks (
    attachment_id bigint  NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    n             integer NOT NULL,
    bytes         bytea   NOT NULL,
    PRIMARY KEY (attachment_id, n)
);
ALTER TABLE attachment_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
