-- Counting the rooms a person created in the last hour (the room creation limit) reads an index.
CREATE INDEX rooms_owner_created_idx ON rooms (owner_id, created_at);
