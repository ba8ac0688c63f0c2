-- Full-text search over messages' current text (GET /ws/search).
--
-- The `simple` configuration: words lower-cased, no stemming and no stop words. Rooms mix languages,
-- and a language's stemmer turns another's words into nonsense ("was" -> "wa" in English stems every
-- Spanish "casa"/"casas" apart from nothing); whole-word matching behaves the same for everyone.
-- Generated from `content`, so an edit is searchable at once, and a deleted message (its content
-- emptied) has nothing left to find.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;

CREATE INDEX messages_search_idx ON messages USING gin (search);
