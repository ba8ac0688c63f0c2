-- Replies (threads): a message may answer another of its room. Threads are flat: `reply_to` is
-- always the thread's root (a reply to a reply is stored against the root), so a thread is one
-- index range and a root's count one index scan.
ALTER TABLE messages ADD COLUMN reply_to bigint REFERENCES messages (id) ON DELETE CASCADE;

CREATE INDEX messages_replies_idx ON messages (reply_to, id) WHERE reply_to IS NOT NULL;
