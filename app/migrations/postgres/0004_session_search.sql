-- The account-wide session search. Addresses are kept a second time as range keys (a
-- family byte, then the address's bytes: see domain/search.rs) so a CIDR range is an
-- index range; `device` holds the readable device ("Chrome on Windows 10 Desktop") the
-- list shows, so the device filter finds what people see. The server fills all three
-- for rows written before this migration (store::backfill) when it starts.
ALTER TABLE login_sessions ADD COLUMN ip_key BYTEA;
ALTER TABLE login_sessions ADD COLUMN last_ip_key BYTEA;
ALTER TABLE login_sessions ADD COLUMN device TEXT;

CREATE INDEX login_sessions_by_ip ON login_sessions (account_id, ip_key);
CREATE INDEX login_sessions_by_last_ip ON login_sessions (account_id, last_ip_key);
-- Keyset pages of an account's sessions, newest first, by sign-in or by last activity.
CREATE INDEX login_sessions_account_signed_in ON login_sessions (account_id, created_at, id);
CREATE INDEX login_sessions_account_last_active ON login_sessions (account_id, last_active_at, id);
-- Rows the backfill has yet to fill.
CREATE INDEX login_sessions_unkeyed ON login_sessions (id) WHERE ip_key IS NULL;
