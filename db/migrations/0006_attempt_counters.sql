-- Login and registration attempts counted per key ('login-address:<ip>', ...) in fixed windows, so that
-- every auth_service process sees the same counts. UNLOGGED: counters are worth no WAL, and losing
-- them in a crash only forgives a few attempts.
CREATE UNLOGGED TABLE attempt_counters (
    key         text        NOT NULL,
    window_ends timestamptz NOT NULL,
    attempts    integer     NOT NULL,
    PRIMARY KEY (key, window_ends)
);

CREATE INDEX attempt_counters_window_ends_idx ON attempt_counters (window_ends);
