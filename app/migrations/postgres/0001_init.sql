-- Session Console schema, PostgreSQL flavour: native uuid and timestamptz.

CREATE TABLE accounts (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);

-- One identity per person, whatever accounts they belong to.
CREATE TABLE users (
    id             UUID PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    account_id  UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'administrator', 'member')),
    created_at  TIMESTAMPTZ NOT NULL,
    -- Latest activity of any of the member's sessions here, kept with the once-a-minute
    -- activity write so the users page sorts by it without reading sessions.
    last_active_at  TIMESTAMPTZ,
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);
CREATE INDEX memberships_by_activity ON memberships (account_id, last_active_at);
CREATE UNIQUE INDEX memberships_one_owner ON memberships (account_id) WHERE role = 'owner';

-- NULL means "the default" so the console can tell chosen values from inherited ones.
CREATE TABLE account_settings (
    account_id         UUID PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    inactivity_secs    BIGINT,
    max_duration_secs  BIGINT,
    concurrent_limit   BIGINT,
    updated_at         TIMESTAMPTZ NOT NULL,
    updated_by         UUID REFERENCES users (id) ON DELETE SET NULL
);

CREATE TABLE login_sessions (
    id              UUID PRIMARY KEY,
    -- SHA-256 of the credential; the credential itself is never stored.
    token_hash      BYTEA NOT NULL UNIQUE,
    account_id      UUID NOT NULL,
    user_id         UUID NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('browser', 'cli')),
    created_at      TIMESTAMPTZ NOT NULL,
    last_active_at  TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    ip              TEXT NOT NULL,
    last_ip         TEXT NOT NULL,
    user_agent      TEXT NOT NULL,
    ended_at        TIMESTAMPTZ,
    ended_by        UUID REFERENCES users (id) ON DELETE SET NULL,
    end_reason      TEXT,
    FOREIGN KEY (account_id, user_id) REFERENCES memberships (account_id, user_id) ON DELETE CASCADE
);
-- Active sessions of a user, and of an account; every session of a user by sign-in time.
CREATE INDEX login_sessions_user_active ON login_sessions (account_id, user_id, last_active_at) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_account_active ON login_sessions (account_id, last_active_at) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_user_all ON login_sessions (account_id, user_id, created_at);
-- The retention sweep deletes by end time.
CREATE INDEX login_sessions_ended ON login_sessions (ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE audit_events (
    id              UUID PRIMARY KEY,
    account_id      UUID NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    actor_user_id   UUID,
    action          TEXT NOT NULL,
    target_user_id  UUID,
    session_id      UUID,
    details         TEXT NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_events_by_account ON audit_events (account_id, occurred_at);

-- CLI credentials besides the current refresh token (kept in login_sessions.token_hash):
-- short-lived access tokens, and retired refresh tokens kept to detect their reuse.
CREATE TABLE session_tokens (
    token_hash  BYTEA PRIMARY KEY,
    session_id  UUID NOT NULL REFERENCES login_sessions (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('access', 'retired_refresh')),
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX session_tokens_by_session ON session_tokens (session_id);

-- Failed sign-ins per email and per client address, in the database so that the
-- throttle survives restarts and spans server processes.
CREATE TABLE sign_in_throttle (
    key                TEXT PRIMARY KEY,
    failures           BIGINT NOT NULL,
    window_started_at  TIMESTAMPTZ NOT NULL
);
