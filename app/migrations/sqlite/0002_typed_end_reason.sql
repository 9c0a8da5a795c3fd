-- A session has ended exactly when ended_at is set, and then its reason is one this
-- version knows. SQLite adds CHECK constraints only by rebuilding the table. Migrations
-- run in a transaction with foreign keys on, so dropping the old table deletes its
-- tokens by cascade: they are kept aside and put back.
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
    ended_by        BLOB REFERENCES users (id) ON DELETE SET NULL,
    end_reason      TEXT CHECK (end_reason IN ('signed_out', 'ended_by_user', 'ended_by_administrator',
        'maximum_duration', 'inactivity', 'concurrent_limit', 'refresh_token_reuse', 'unrecorded')),
    FOREIGN KEY (account_id, user_id) REFERENCES memberships (account_id, user_id) ON DELETE CASCADE,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);

-- Rows a manual fix left half-ended count as ended; unknown reasons become 'unrecorded'.
INSERT INTO login_sessions_new
SELECT id, token_hash, account_id, user_id, kind, created_at, last_active_at, expires_at, ip, last_ip,
       user_agent,
       CASE WHEN ended_at IS NULL AND end_reason IS NOT NULL THEN last_active_at ELSE ended_at END,
       ended_by,
       CASE
           WHEN ended_at IS NULL AND end_reason IS NULL THEN NULL
           WHEN end_reason IN ('signed_out', 'ended_by_user', 'ended_by_administrator', 'maximum_duration',
                               'inactivity', 'concurrent_limit', 'refresh_token_reuse') THEN end_reason
           ELSE 'unrecorded'
       END
FROM login_sessions;

DROP TABLE login_sessions;
ALTER TABLE login_sessions_new RENAME TO login_sessions;

CREATE INDEX login_sessions_user_active ON login_sessions (account_id, user_id, last_active_at) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_account_active ON login_sessions (account_id, last_active_at) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_user_all ON login_sessions (account_id, user_id, created_at);
CREATE INDEX login_sessions_ended ON login_sessions (ended_at) WHERE ended_at IS NOT NULL;

INSERT INTO session_tokens SELECT * FROM kept_session_tokens;
DROP TABLE kept_session_tokens;
