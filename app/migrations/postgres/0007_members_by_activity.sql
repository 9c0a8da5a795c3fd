-- The users page sorted by last activity reads members newest first with those who never
-- signed in last: an index in that order gives the page without sorting every member.
-- (SQLite reads memberships_by_activity backwards for the same order: its NULLs sort
-- first ascending, so last descending. Nothing to add there.)
CREATE INDEX memberships_by_recent_activity ON memberships (account_id, last_active_at DESC NULLS LAST);
