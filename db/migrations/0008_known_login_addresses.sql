-- The addresses an account has logged in from (as keyed digests, not the addresses themselves), so
-- that a username being guessed at from everywhere can be limited for strangers while its owner,
-- logging in from where they usually do, is not locked out.
CREATE TABLE known_login_addresses (
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address_digest text        NOT NULL,
    last_login_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, address_digest)
);
