-- Who ended a session is checked when the transaction commits, as on SQLite (where an
-- immediate check makes every bulk end keep a statement journal); the same timing on
-- both backends.
ALTER TABLE login_sessions ALTER CONSTRAINT login_sessions_ended_by_fkey DEFERRABLE INITIALLY DEFERRED;
