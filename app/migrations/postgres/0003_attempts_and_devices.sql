-- Sign-in attempts are counted before the password is checked; the column counts them all.
ALTER TABLE sign_in_throttle RENAME COLUMN failures TO attempts;

-- Browsers that signed in successfully as a person: their sign-in attempts are counted
-- apart from the person's email, so failures elsewhere cannot lock them out. Only the
-- SHA-256 of the device token is kept.
CREATE TABLE trusted_devices (
    token_hash  BYTEA PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX trusted_devices_by_user ON trusted_devices (user_id);
