-- Tokens ended by logout before their expiry. Every service refuses a token whose jti is here.
-- Rows past expires_at protect nothing (the signature check already refuses the token) and are pruned.
CREATE TABLE revoked_tokens (
    jti        text        PRIMARY KEY,
    user_id    bigint      NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);
