-- Each node remembers the session check's answers (app/src/store/coalesce.rs) and
-- serves one only while this number is still what it was when the answer was read.
-- Every committed change to what the check reads raises it. Triggers raise it, not the
-- application, so that every writer does: any node, an older release during a rolling
-- upgrade, an operator's manual fix.
CREATE TABLE check_generation (
    singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    value      BIGINT NOT NULL
);
INSERT INTO check_generation (value) VALUES (0);

-- Raised once per transaction, as it commits: the triggers below are deferred, so a
-- transaction holds the row's lock only while it commits (not while a bulk end of
-- thousands of sessions runs), and a bulk end raises it once.
CREATE FUNCTION raise_check_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('session_console.check_generation_raised', true) IS DISTINCT FROM 'yes' THEN
        UPDATE check_generation SET value = value + 1;
        PERFORM set_config('session_console.check_generation_raised', 'yes', true);
    END IF;
    RETURN NULL;
END
$$;

-- Sessions: ended, moved, re-keyed (a browser's; a CLI refresh token is never
-- remembered, so its rotation is not a change), or deleted while live. Activity
-- (last_active_at, last_ip) is not: a node that holds an older time reads the session
-- again before it would end it as idle.
CREATE CONSTRAINT TRIGGER check_reads_sessions AFTER UPDATE ON login_sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.ended_at IS DISTINCT FROM NEW.ended_at
       OR OLD.end_reason IS DISTINCT FROM NEW.end_reason
       OR (OLD.token_hash <> NEW.token_hash AND OLD.kind = 'browser')
       OR OLD.kind <> NEW.kind
       OR OLD.account_id <> NEW.account_id
       OR OLD.user_id <> NEW.user_id
       OR OLD.created_at <> NEW.created_at)
    EXECUTE FUNCTION raise_check_generation();
CREATE CONSTRAINT TRIGGER check_reads_deleted_sessions AFTER DELETE ON login_sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.ended_at IS NULL)
    EXECUTE FUNCTION raise_check_generation();

-- Access tokens: changed or deleted before they expired.
CREATE CONSTRAINT TRIGGER check_reads_tokens AFTER UPDATE OR DELETE ON session_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.purpose = 'access' AND OLD.expires_at > now())
    EXECUTE FUNCTION raise_check_generation();

-- An account's limits, name, members' roles, and people's names and addresses.
CREATE CONSTRAINT TRIGGER check_reads_settings AFTER UPDATE ON account_settings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.inactivity_secs, OLD.max_duration_secs, OLD.concurrent_limit)
          IS DISTINCT FROM (NEW.inactivity_secs, NEW.max_duration_secs, NEW.concurrent_limit))
    EXECUTE FUNCTION raise_check_generation();
CREATE CONSTRAINT TRIGGER check_reads_deleted_settings AFTER DELETE ON account_settings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION raise_check_generation();
CREATE CONSTRAINT TRIGGER check_reads_accounts AFTER UPDATE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.name <> NEW.name)
    EXECUTE FUNCTION raise_check_generation();
CREATE CONSTRAINT TRIGGER check_reads_roles AFTER UPDATE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.role <> NEW.role OR OLD.account_id <> NEW.account_id OR OLD.user_id <> NEW.user_id)
    EXECUTE FUNCTION raise_check_generation();
CREATE CONSTRAINT TRIGGER check_reads_people AFTER UPDATE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.display_name <> NEW.display_name OR OLD.email <> NEW.email)
    EXECUTE FUNCTION raise_check_generation();
-- Deleting an account, a membership or a person removes rows the check joins.
CREATE CONSTRAINT TRIGGER check_reads_deleted_accounts AFTER DELETE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION raise_check_generation();
CREATE CONSTRAINT TRIGGER check_reads_deleted_memberships AFTER DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION raise_check_generation();
CREATE CONSTRAINT TRIGGER check_reads_deleted_people AFTER DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION raise_check_generation();
