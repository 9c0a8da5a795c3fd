-- A session's device as the lists show it ("Chrome on Windows 10", and its kind),
-- parsed from the user agent once, when the session starts, instead of on every list
-- request. The server fills rows written before this migration when it starts.
ALTER TABLE login_sessions ADD COLUMN device_name TEXT;
ALTER TABLE login_sessions ADD COLUMN device_kind TEXT
    CHECK (device_kind IN ('desktop', 'phone', 'tablet', 'cli', 'other'));
-- Rows the backfill has yet to describe.
CREATE INDEX login_sessions_undescribed ON login_sessions (id) WHERE device_kind IS NULL;
