-- Who ended a session is checked when the transaction commits, not row by row. An
-- immediate foreign key in a statement that changes many rows makes SQLite keep a
-- statement journal, a copy of every page the statement touches, written to a temporary
-- file: a third of the page writes of a bulk end (see docs/performance.md). The check
-- itself is unchanged. SQLite changes a constraint only by rebuilding the table;
-- migrations run in a transaction with foreign keys on, so dropping the old table would
-- delete its tokens by cascade: they are kept aside and put back, as in 0002.
CREATE TEMPORARY TABLE kept_session_tokens AS SELECT * FROM session_tokens;

CREATE TABLE login_sessions_new (
    id              BLOB PRIMARY KEY NOT NULL,
    -- SHA-256 of the credential; the credential itself is never stored.
    token_hash      BLOB NOT NULL UNIQUE,
    account_id      BLOB NOT NULL,
    user_id         BLOB NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('browser', 'cli')),
    created_at      TEXT NOT NULL,
    last_active_at  TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    ip              TEXT NOT NULL,
    last_ip         TEXT NOT NULL,
    user_agent      TEXT NOT NULL,
    ended_at        TEXT,
    ended_by        BLOB REFERENCES users (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    end_reason      TEXT CHECK (end_reason IN ('signed_out', 'ended_by_user', 'ended_by_administrator',
        'maximum_duration', 'inactivity', 'concurrent_limit', 'refresh_token_reuse', 'unrecorded')),
    ip_key          BLOB,
    last_ip_key     BLOB,
    device          TEXT,
    device_name     TEXT,
    device_kind     TEXT CHECK (device_kind IN ('desktop', 'phone', 'tablet', 'cli', 'other')),
    FOREIGN KEY (account_id, user_id) REFERENCES memberships (account_id, user_id) ON DELETE CASCADE,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);

INSERT INTO login_sessions_new
SELECT id, token_hash, account_id, user_id, kind, created_at, last_active_at, expires_at, ip, last_ip,
       user_agent, ended_at, ended_by, end_reason, ip_key, last_ip_key, device, device_name, device_kind
FROM login_sessions;

DROP TABLE login_sessions;
ALTER TABLE login_sessions_new RENAME TO login_sessions;

-- The indexes as 0001, 0004 and 0006 left them.
CREATE INDEX login_sessions_user_active ON login_sessions (account_id, user_id, last_active_at) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_account_active ON login_sessions (account_id, last_active_at) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_user_all ON login_sessions (account_id, user_id, created_at);
CREATE INDEX login_sessions_ended ON login_sessions (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX login_sessions_by_ip ON login_sessions (account_id, ip_key, ended_at, last_active_at, created_at, id);
CREATE INDEX login_sessions_by_last_ip ON login_sessions (account_id, last_ip_key, ended_at, last_active_at, created_at, id, ip_key);
CREATE INDEX login_sessions_by_device ON login_sessions (account_id, device, ended_at, last_active_at, created_at);
CREATE INDEX login_sessions_account_signed_in ON login_sessions (account_id, created_at, id, ended_at, last_active_at);
CREATE INDEX login_sessions_account_last_active ON login_sessions (account_id, last_active_at, id);
CREATE INDEX login_sessions_unkeyed ON login_sessions (id) WHERE ip_key IS NULL;
CREATE INDEX login_sessions_undescribed ON login_sessions (id) WHERE device_kind IS NULL;

INSERT INTO session_tokens SELECT * FROM kept_session_tokens;
DROP TABLE kept_session_tokens;
