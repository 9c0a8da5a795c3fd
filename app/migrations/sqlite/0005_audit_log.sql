-- The audit log a person reads: who acted from where, filters by each of its columns
-- (newest first, keyset pages), and retention by age.
ALTER TABLE audit_events ADD COLUMN actor_ip TEXT;
-- The address as a range key (see domain/search/address.rs), so a CIDR is an index range.
ALTER TABLE audit_events ADD COLUMN actor_ip_key BLOB NOT NULL DEFAULT X'00';
ALTER TABLE audit_events ADD COLUMN actor_user_agent TEXT;

-- A sign-out was recorded as one more ended session; it is its own event now.
UPDATE audit_events SET action = 'session.signed_out'
 WHERE action = 'session.ended' AND json_extract(details, '$.reason') = 'signed_out';

DROP INDEX audit_events_by_account;
CREATE INDEX audit_events_page ON audit_events (account_id, occurred_at, id);
CREATE INDEX audit_events_by_action ON audit_events (account_id, action, occurred_at, id);
CREATE INDEX audit_events_by_actor ON audit_events (account_id, actor_user_id, occurred_at, id);
CREATE INDEX audit_events_by_target ON audit_events (account_id, target_user_id, occurred_at, id);
CREATE INDEX audit_events_by_ip ON audit_events (account_id, actor_ip_key, occurred_at, id);
-- The retention sweep deletes the oldest first, across accounts.
CREATE INDEX audit_events_by_time ON audit_events (occurred_at);

-- Append-only: nothing rewrites history (only the retention sweep deletes).
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
