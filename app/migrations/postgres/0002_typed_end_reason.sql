-- A session has ended exactly when ended_at is set, and then its reason is one this
-- version knows. Rows a manual fix left half-ended count as ended; unknown reasons
-- become 'unrecorded'.
UPDATE login_sessions SET ended_at = last_active_at WHERE ended_at IS NULL AND end_reason IS NOT NULL;
UPDATE login_sessions SET end_reason = 'unrecorded'
WHERE ended_at IS NOT NULL AND (end_reason IS NULL OR end_reason NOT IN ('signed_out', 'ended_by_user',
    'ended_by_administrator', 'maximum_duration', 'inactivity', 'concurrent_limit', 'refresh_token_reuse'));

ALTER TABLE login_sessions
    ADD CONSTRAINT login_sessions_end_reason_known CHECK (end_reason IN ('signed_out', 'ended_by_user',
        'ended_by_administrator', 'maximum_duration', 'inactivity', 'concurrent_limit', 'refresh_token_reuse',
        'unrecorded')),
    ADD CONSTRAINT login_sessions_ended_with_reason CHECK ((ended_at IS NULL) = (end_reason IS NULL));
