-- Who follows whom. A follow disappears with either account.
CREATE TABLE follows (
    follower_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);

-- The primary key serves "whom does X follow"; this one serves "who follows X".
CREATE INDEX follows_followee_idx ON follows (followee_id, follower_id);

-- Prefix search on usernames, whatever their case (LIKE 'abc%' on lower(username)).
CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops);
