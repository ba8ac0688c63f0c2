-- Micro-blog posts. They go with their author's account.
CREATE TABLE posts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content    text        NOT NULL CHECK (char_length(content) BETWEEN 1 AND 4000),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A user's posts and the feed, newest first, paged by id: both read this index backwards.
CREATE INDEX posts_user_id_idx ON posts (user_id, id DESC);
