-- Accounts deleted, remembered while a token of theirs could still be unexpired: a ws_service process
-- loads them, with revoked_tokens, into its in-memory set of ended sessions when it starts listening
-- (and again after a reconnect), so that it checks tokens without a database round trip.
CREATE TABLE deleted_accounts (
    user_id    bigint      PRIMARY KEY,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deleted_accounts_deleted_at_idx ON deleted_accounts (deleted_at);
