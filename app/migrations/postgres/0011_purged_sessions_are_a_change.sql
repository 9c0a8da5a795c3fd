-- Each node now also remembers refusals: an ended session's answer, with why it ended.
-- Purging an ended session changes that answer (its credential is unknown from then on),
-- so deleting any session raises the check generation, not only a live one's.
DROP TRIGGER check_reads_deleted_sessions ON login_sessions;
CREATE CONSTRAINT TRIGGER check_reads_deleted_sessions AFTER DELETE ON login_sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION raise_check_generation();
