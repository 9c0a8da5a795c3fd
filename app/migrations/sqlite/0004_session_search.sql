-- The account-wide session search. Addresses are kept a second time as range keys (a
-- family byte, then the address's bytes: see domain/search.rs) so a CIDR range is an
-- index range; `device` holds the readable device the list shows ("Chrome on Windows 10
-- Desktop"), so the device filter finds what people see. The server fills all three for
-- rows written before this migration (the store's backfill) when it starts.
ALTER TABLE login_sessions ADD COLUMN ip_key BLOB;
ALTER TABLE login_sessions ADD COLUMN last_ip_key BLOB;
ALTER TABLE login_sessions ADD COLUMN device TEXT;

-- Every device label ever seen: few, so a text search over them is cheap and turns the
-- device filter into index lookups by label.
CREATE TABLE device_labels (label TEXT PRIMARY KEY NOT NULL);

-- Each filter's index carries the columns that tell active sessions from ended ones,
-- so the exact count of matches is read from the index alone.
CREATE INDEX login_sessions_by_ip ON login_sessions (account_id, ip_key, ended_at, last_active_at, created_at, id);
-- The last-seen index also carries the sign-in key: its branch of an address search
-- skips what the sign-in branch found without reading the table.
CREATE INDEX login_sessions_by_last_ip ON login_sessions (account_id, last_ip_key, ended_at, last_active_at, created_at, id, ip_key);
CREATE INDEX login_sessions_by_device ON login_sessions (account_id, device, ended_at, last_active_at, created_at);
-- Keyset pages, newest first, by sign-in (and sign-in time ranges, counted from the
-- index) or by last activity (narrow: ending a session does not rewrite it).
CREATE INDEX login_sessions_account_signed_in ON login_sessions (account_id, created_at, id, ended_at, last_active_at);
CREATE INDEX login_sessions_account_last_active ON login_sessions (account_id, last_active_at, id);
-- Rows the backfill has yet to fill.
CREATE INDEX login_sessions_unkeyed ON login_sessions (id) WHERE ip_key IS NULL;
