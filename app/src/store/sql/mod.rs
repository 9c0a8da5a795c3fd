//! The SQL both backends run, written once. Where the dialects differ (typed NULLs,
//! NULL-safe comparison) the two versions stand side by side, named for their backend.
//! Placeholders are `$n` on both: SQLite accepts them too.

use super::dialect::{args, Args, Dialect, Value};
use super::SessionEnd;
use crate::domain::SessionView;
use uuid::Uuid;

/// A session's columns, as `LoginSession` reads them.
macro_rules! session_columns {
    () => {
        "id, account_id, user_id, kind, created_at, last_active_at, expires_at, \
         ip, last_ip, user_agent, ended_at, ended_by, end_reason, device_name, device_kind"
    };
}

/// The session check's columns and joins: every join is on a primary key.
macro_rules! context_select {
    () => {
        "SELECT s.id AS session_id, s.account_id, s.user_id, s.kind, s.created_at, \
         s.last_active_at, s.last_ip, s.ended_at, s.end_reason, m.role, u.display_name, u.email, \
         a.name AS account_name, st.inactivity_secs, st.max_duration_secs, st.concurrent_limit"
    };
}

macro_rules! context_joins {
    () => {
        " JOIN memberships m ON m.account_id = s.account_id AND m.user_id = s.user_id \
         JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = s.account_id \
         JOIN account_settings st ON st.account_id = s.account_id"
    };
}

// Accounts, people and memberships.

pub const HAS_ACCOUNTS: &str = "SELECT EXISTS (SELECT 1 FROM accounts)";
pub const INSERT_ACCOUNT: &str =
    "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) RETURNING id, name, created_at";
pub const INSERT_DEFAULT_SETTINGS: &str =
    "INSERT INTO account_settings (account_id, updated_at) VALUES ($1, $2)";
pub const ACCOUNT_BY_ID: &str = "SELECT id, name, created_at FROM accounts WHERE id = $1";
pub const ACCOUNT_BY_NAME: &str = "SELECT id, name, created_at FROM accounts WHERE name = $1";
pub const INSERT_USER: &str = "INSERT INTO users (id, email, display_name, password_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING id, email, display_name, created_at";
pub const MEMBERSHIP_ROLE: &str = "SELECT role FROM memberships WHERE account_id = $1 AND user_id = $2";
pub const SET_ROLE: &str = "UPDATE memberships SET role = $3 WHERE account_id = $1 AND user_id = $2 \
     RETURNING account_id, user_id, role, created_at";
pub const INSERT_MEMBERSHIP: &str = "INSERT INTO memberships (account_id, user_id, role, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING account_id, user_id, role, created_at";
pub const USER_BY_EMAIL: &str = "SELECT id, email, display_name, created_at FROM users WHERE email = $1";
pub const PASSWORD_HASH: &str = "SELECT password_hash FROM users WHERE id = $1";
pub const MEMBERSHIP: &str = "SELECT account_id, user_id, role, created_at FROM memberships \
     WHERE account_id = $1 AND user_id = $2";
pub const ACCOUNTS_OF_USER: &str = "SELECT a.id AS account_id, a.name AS account_name, m.role \
     FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = $1 ORDER BY a.name";

// Login-session settings.

pub const SETTINGS: &str = "SELECT inactivity_secs, max_duration_secs, concurrent_limit \
     FROM account_settings WHERE account_id = $1";
pub const ALL_SETTINGS: &str =
    "SELECT account_id, inactivity_secs, max_duration_secs, concurrent_limit FROM account_settings";
/// Compare-and-set: writes only if the row still holds the values the change started from
/// ($7, $8, $9), so a concurrent change is never overwritten unseen.
pub const UPDATE_SETTINGS_SQLITE: &str = "UPDATE account_settings \
     SET inactivity_secs = $2, max_duration_secs = $3, concurrent_limit = $4, updated_at = $5, updated_by = $6 \
     WHERE account_id = $1 AND inactivity_secs IS $7 AND max_duration_secs IS $8 AND concurrent_limit IS $9";
pub const UPDATE_SETTINGS_POSTGRES: &str = "UPDATE account_settings \
     SET inactivity_secs = $2, max_duration_secs = $3, concurrent_limit = $4, updated_at = $5, updated_by = $6 \
     WHERE account_id = $1 AND inactivity_secs IS NOT DISTINCT FROM $7 \
       AND max_duration_secs IS NOT DISTINCT FROM $8 AND concurrent_limit IS NOT DISTINCT FROM $9";
pub const ACCOUNT_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM account_settings WHERE account_id = $1)";

// Sessions.

pub const INSERT_SESSION: &str = concat!(
    "INSERT INTO login_sessions (id, token_hash, account_id, user_id, kind, created_at, \
     last_active_at, expires_at, ip, last_ip, user_agent, ip_key, last_ip_key, device, device_name, device_kind) \
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $8, $9, $10, $10, $11, $12, $13) RETURNING ",
    session_columns!()
);
/// Keeps the member's latest activity, which the users page sorts by.
pub const MEMBER_ACTIVE_AT: &str = "UPDATE memberships SET last_active_at = $3 \
     WHERE account_id = $1 AND user_id = $2 AND (last_active_at IS NULL OR last_active_at < $3)";
pub const TOUCH_SESSION: &str =
    "UPDATE login_sessions SET last_active_at = $2, last_ip = $3, last_ip_key = $4 \
     WHERE id = $1 AND ended_at IS NULL AND last_active_at < $2 RETURNING account_id, user_id";
pub const SESSION: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM login_sessions WHERE id = $1 AND account_id = $2"
);
/// A user's sessions with the name of whoever ended each, newest first.
macro_rules! sessions_of_user {
    ($filter:literal) => {
        concat!(
            "SELECT s.id, s.account_id, s.user_id, s.kind, s.created_at, s.last_active_at, \
             s.expires_at, s.ip, s.last_ip, s.user_agent, s.ended_at, s.ended_by, s.end_reason, \
             s.device_name, s.device_kind, e.display_name AS ended_by_name \
             FROM login_sessions s LEFT JOIN users e ON e.id = s.ended_by \
             WHERE s.account_id = $1 AND s.user_id = $2 ",
            $filter,
            " ORDER BY s.created_at DESC"
        )
    };
}

/// The query for a view of a user's sessions; Active and Ended bind the cut-offs as $3, $4.
pub fn sessions_of_user(view: SessionView) -> &'static str {
    match view {
        SessionView::Active => {
            sessions_of_user!("AND s.ended_at IS NULL AND s.last_active_at >= $3 AND s.created_at >= $4")
        }
        SessionView::Ended => {
            sessions_of_user!("AND (s.ended_at IS NOT NULL OR s.last_active_at < $3 OR s.created_at < $4)")
        }
        SessionView::All => sessions_of_user!(""),
    }
}

/// The same rows as [`sessions_of_user`], as one JSON array in one row (SQLite; see
/// `Dialect::PACKED_LISTS`). Ids are stored as 16 bytes and travel as hex. Each row is an
/// array, not an object, in the field order of `SessionListing` and `LoginSession` (serde
/// reads a struct from an array in declaration order): building and parsing the keys of
/// every row took a third of the query's time. The caller orders the rows (newest
/// first): sorting them inside the aggregate copied every row's text once more.
pub fn packed_sessions_of_user(view: SessionView) -> String {
    format!(
        "SELECT json_group_array(json_array(json_array(\
           lower(hex(id)), lower(hex(account_id)), lower(hex(user_id)), kind, created_at, \
           last_active_at, expires_at, ip, last_ip, user_agent, ended_at, \
           CASE WHEN ended_by IS NULL THEN NULL ELSE lower(hex(ended_by)) END, end_reason, \
           device_name, device_kind), ended_by_name)) AS json \
         FROM ({})",
        sessions_of_user(view)
    )
}

/// Ends a user's live sessions but one ($8, which may be NULL). The `ended_at IS NULL`
/// guard makes concurrent ends race-free: one wins, the rest change nothing.
pub const END_LIVE_OF_USER: &str = concat!(
    "UPDATE login_sessions SET ended_at = $1, ended_by = $2, end_reason = $3 \
     WHERE account_id = $4 AND user_id = $5 AND ended_at IS NULL \
       AND last_active_at >= $6 AND created_at >= $7 AND ($8 IS NULL OR id <> $8) RETURNING ",
    session_columns!()
);

/// Ends the sessions live under the old cut-offs ($4 idle, $5 signed in) that a settings
/// change expires: signed in before the new cut-off ($6) for the maximum duration...
pub const END_PAST_NEW_MAXIMUM: &str = concat!(
    "UPDATE login_sessions SET ended_at = $1, ended_by = $2, end_reason = $3 \
     WHERE account_id = $7 AND ended_at IS NULL AND last_active_at >= $4 AND created_at >= $5 \
       AND created_at < $6 RETURNING ",
    session_columns!()
);
/// ...or idle since before the new cut-off ($6) while within the new maximum ($8).
pub const END_PAST_NEW_INACTIVITY: &str = concat!(
    "UPDATE login_sessions SET ended_at = $1, ended_by = $2, end_reason = $3 \
     WHERE account_id = $7 AND ended_at IS NULL AND last_active_at >= $4 AND created_at >= $5 \
       AND last_active_at < $6 AND created_at >= $8 RETURNING ",
    session_columns!()
);
pub const OWNER: &str = "SELECT user_id FROM memberships WHERE account_id = $1 AND role = 'owner'";

// The session check: a credential's hash to its session context, one indexed lookup.

pub const CONTEXT_BY_TOKEN_SQLITE: &str = concat!(
    context_select!(),
    ", NULL AS token_expires_at FROM login_sessions s",
    context_joins!(),
    " WHERE s.token_hash = $1 AND s.kind = $2"
);
pub const CONTEXT_BY_TOKEN_POSTGRES: &str = concat!(
    context_select!(),
    ", NULL::timestamptz AS token_expires_at FROM login_sessions s",
    context_joins!(),
    " WHERE s.token_hash = $1 AND s.kind = $2"
);
pub const CONTEXT_BY_ACCESS_TOKEN: &str = concat!(
    context_select!(),
    ", t.expires_at AS token_expires_at FROM session_tokens t \
     JOIN login_sessions s ON s.id = t.session_id",
    context_joins!(),
    " WHERE t.token_hash = $1 AND t.purpose = 'access' AND t.expires_at > $2"
);
/// The coalesced session check on Postgres (`coalesce.rs`): many hashes, one statement,
/// each row with the hash that found it; one index lookup per hash (a plain
/// `token_hash = ANY($1)` is planned as a bitmap scan). The caller checks the kind and
/// the expiry.
///
/// Each row carries the check generation its snapshot saw (migration 0010): a node
/// remembers the answer under it.
pub const CONTEXTS_BY_TOKEN_POSTGRES: &str = concat!(
    context_select!(),
    ", NULL::timestamptz AS token_expires_at, q.looked_up, \
     (SELECT value FROM check_generation) AS generation \
     FROM unnest($1::bytea[]) AS q (looked_up) JOIN login_sessions s ON s.token_hash = q.looked_up",
    context_joins!()
);
/// The token is looked up in a subquery that Postgres cannot merge into the join (its
/// `LIMIT`): one primary-key lookup per hash. Joined directly, the generic plan scanned
/// every token and hashed them whenever the table looked small next to the ten rows
/// Postgres guesses for an array parameter (the bench's 1 000 tokens), a cost that grew
/// with the table.
pub const CONTEXTS_BY_ACCESS_TOKEN: &str = concat!(
    context_select!(),
    ", t.expires_at AS token_expires_at, q.looked_up, \
     (SELECT value FROM check_generation) AS generation \
     FROM unnest($1::bytea[]) AS q (looked_up) \
     CROSS JOIN LATERAL (SELECT t.session_id, t.expires_at FROM session_tokens t \
       WHERE t.token_hash = q.looked_up AND t.purpose = 'access' LIMIT 1) t \
     JOIN login_sessions s ON s.id = t.session_id",
    context_joins!()
);

/// What a node's remembered answers are checked against (migration 0010).
pub const CHECK_GENERATION: &str = "SELECT value FROM check_generation";

// CLI credentials.

pub const RETIRED_REFRESH: &str = "SELECT s.account_id, s.id FROM session_tokens t \
     JOIN login_sessions s ON s.id = t.session_id WHERE t.token_hash = $1 AND t.purpose = 'retired_refresh'";
pub const INSERT_ACCESS_TOKEN: &str =
    "INSERT INTO session_tokens (token_hash, session_id, purpose, expires_at) \
     VALUES ($1, $2, 'access', $3)";
/// Compare-and-swap on the current hash: of two concurrent refreshes one wins.
pub const SWAP_REFRESH: &str = "UPDATE login_sessions SET token_hash = $3 \
     WHERE id = $1 AND token_hash = $2 AND ended_at IS NULL";
pub const RETIRE_REFRESH: &str = "INSERT INTO session_tokens (token_hash, session_id, purpose, expires_at) \
     VALUES ($1, $2, 'retired_refresh', $3)";

// Sign-in throttling.

/// Counts one attempt and returns the count with it, in one statement: parallel attempts
/// each see their own place. A window that started before $3 starts again at $2.
pub const COUNT_ATTEMPT: &str = "INSERT INTO sign_in_throttle (key, attempts, window_started_at) \
     VALUES ($1, 1, $2) ON CONFLICT (key) DO UPDATE SET \
       attempts = CASE WHEN sign_in_throttle.window_started_at < $3 THEN 1 \
                       ELSE sign_in_throttle.attempts + 1 END, \
       window_started_at = CASE WHEN sign_in_throttle.window_started_at < $3 THEN $2 \
                                ELSE sign_in_throttle.window_started_at END \
     RETURNING attempts, window_started_at";
pub const RELEASE_ATTEMPT: &str =
    "UPDATE sign_in_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0";
pub const CLEAR_ATTEMPTS: &str = "DELETE FROM sign_in_throttle WHERE key = $1";
pub const INSERT_DEVICE: &str =
    "INSERT INTO trusted_devices (token_hash, user_id, created_at) VALUES ($1, $2, $3)";
pub const DEVICE_USER: &str = "SELECT user_id FROM trusted_devices WHERE token_hash = $1";

// Search keys for rows written before they existed (migration 0004).

pub const UNKEYED_SESSIONS: &str = "SELECT id, ip, last_ip, user_agent, kind FROM login_sessions \
     WHERE ip_key IS NULL LIMIT $1";
pub const UNDESCRIBED_SESSIONS: &str = "SELECT id, ip, last_ip, user_agent, kind FROM login_sessions \
     WHERE device_kind IS NULL LIMIT $1";
pub const SET_SESSION_DEVICE: &str =
    "UPDATE login_sessions SET device_name = $2, device_kind = $3 WHERE id = $1";
pub const SET_SESSION_KEYS: &str =
    "UPDATE login_sessions SET ip_key = $2, last_ip_key = $3, device = $4 WHERE id = $1";
pub const ADD_DEVICE_LABEL: &str =
    "INSERT INTO device_labels (label) VALUES ($1) ON CONFLICT (label) DO NOTHING";

// The sweep.

pub const UNRECORDED_EXPIRED: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM login_sessions WHERE account_id = $1 AND ended_at IS NULL \
     AND (last_active_at < $2 OR created_at < $3) ORDER BY last_active_at LIMIT $4"
);
pub const PURGE_TOKENS: &str = "DELETE FROM session_tokens WHERE expires_at <= $1";
pub const PURGE_SESSIONS: &str = "DELETE FROM login_sessions WHERE ended_at < $1";

// The users page.

pub const MEMBER: &str = "SELECT u.id AS user_id, u.display_name, u.email, m.role, \
       m.created_at AS member_since, m.last_active_at, (SELECT COUNT(*) FROM login_sessions s \
         WHERE s.account_id = m.account_id AND s.user_id = m.user_id AND s.ended_at IS NULL \
           AND s.last_active_at >= $3 AND s.created_at >= $4) AS active_sessions \
     FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = $1 AND m.user_id = $2";

/// One page of the account's members and the count of all matches, `sort` first. The
/// page is chosen first and active sessions are counted for its rows only. Arguments:
/// account, then (when searching) the pattern, then limit, offset and the two cut-offs.
///
/// No window function counts the matches: it would make the database read and sort
/// every member for every page. Sorted by last activity, the page comes straight off
/// `memberships_by_activity` (sorting only ties); without a search the total is read from
/// the membership index alone.
pub fn list_users<DB: Dialect>(sort: crate::model::UserSort, searching: bool) -> String {
    use crate::model::UserSort;
    let by_name = DB::NAME_ORDER;
    let matches = if searching {
        format!(" AND {}", name_or_email_like::<DB>("$2"))
    } else {
        String::new()
    };
    // Counted apart: a search reads every member twice (a window over the page's pass
    // measured slower, as it keeps every match for the sort), but no page sorts them all.
    let total = if searching {
        format!("(SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = $1{matches})")
    } else {
        "(SELECT COUNT(*) FROM memberships c WHERE c.account_id = $1)".to_string()
    };
    let (limit, offset, idle, created) = if searching {
        ("$3", "$4", "$5", "$6")
    } else {
        ("$2", "$3", "$4", "$5")
    };
    let order = match sort {
        UserSort::Name => format!("{by_name}, u.id"),
        UserSort::LastActive => format!("m.last_active_at DESC NULLS LAST, {by_name}, u.id"),
    };
    format!(
        "WITH page AS (SELECT u.id AS user_id, u.display_name, u.email, m.role, \
                m.created_at AS member_since, m.last_active_at \
            FROM memberships m JOIN users u ON u.id = m.user_id \
            WHERE m.account_id = $1{matches} ORDER BY {order} LIMIT {limit} OFFSET {offset}) \
         SELECT page.*, {total} AS total, (SELECT COUNT(*) FROM login_sessions s \
             WHERE s.account_id = $1 AND s.user_id = page.user_id AND s.ended_at IS NULL \
               AND s.last_active_at >= {idle} AND s.created_at >= {created}) AS active_sessions \
         FROM page JOIN memberships m ON m.account_id = $1 AND m.user_id = page.user_id \
         JOIN users u ON u.id = page.user_id ORDER BY {order}"
    )
}

/// A person (`users u`) whose name or email matches the bound pattern.
fn name_or_email_like<DB: Dialect>(pattern: &str) -> String {
    format!(
        "({name} LIKE {pattern} ESCAPE '\\' OR u.email LIKE {pattern} ESCAPE '\\')",
        name = DB::NAME_FOLDED
    )
}

/// The members of an account whose name or email matches a bound pattern: inlined as a
/// subquery by the sessions search and the audit log, or run alone (`members_matching`).
pub fn person_matches<DB: Dialect>(account: &str, pattern: &str) -> String {
    format!(
        "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.account_id = {account} AND {}",
        name_or_email_like::<DB>(pattern)
    )
}

/// `person_matches` alone: up to `$3` members.
pub fn members_matching<DB: Dialect>() -> String {
    format!("{} LIMIT $3", person_matches::<DB>("$1", "$2"))
}

/// The same members, found from the people's side: every person's name and email
/// matched, then each match's membership looked up. Cheaper where the account holds
/// much of everyone (`Dialect::PEOPLE_FIRST_IN_LARGE_ACCOUNTS`).
pub fn members_matching_people_first<DB: Dialect>() -> String {
    format!(
        "SELECT u.id AS user_id FROM users u WHERE {} \
         AND EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = $1 AND m.user_id = u.id) \
         LIMIT $3",
        name_or_email_like::<DB>("$2")
    )
}

/// 1 when the account `$1` holds a quarter or more of everyone, else 0.
pub const ACCOUNT_HOLDS_A_QUARTER: &str = "SELECT CASE WHEN \
     (SELECT COUNT(*) FROM memberships WHERE account_id = $1) * 4 >= (SELECT COUNT(*) FROM users) \
     THEN 1 ELSE 0 END";

// Statements assembled at run time (id lists, multi-row inserts), with their arguments.

/// `$from, $from+1, …` for `count` arguments: both backends number placeholders.
fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Multi-row `VALUES (…), (…)` for rows of `width` arguments, the statement's only ones.
pub fn values_rows<DB: Dialect>(rows: usize, width: usize) -> String {
    let row = |n: usize| {
        if DB::ANONYMOUS_VALUES {
            vec!["?"; width].join(", ")
        } else {
            placeholders(n * width + 1, width)
        }
    };
    (0..rows)
        .map(|n| format!("({})", row(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ends the listed sessions of an account that have not ended yet; with `user_id`, only
/// those of that user.
pub fn end_by_ids<DB: Dialect>(
    account_id: Uuid,
    ids: &[Uuid],
    user_id: Option<Uuid>,
    end: &SessionEnd,
) -> (String, Args) {
    let sql = format!(
        concat!(
            "{} login_sessions SET ended_at = $1, ended_by = $2, end_reason = $3 \
             WHERE {} = $4 AND ended_at IS NULL AND ($5 IS NULL OR user_id = $5) AND id IN ({}) \
             RETURNING ",
            session_columns!()
        ),
        DB::UPDATE_MANY,
        DB::unindexed("account_id"),
        placeholders(6, ids.len())
    );
    let mut args = args![end.at, end.by, end.reason, account_id, user_id];
    args.extend(ids.iter().map(|id| Value::from(*id)));
    (sql, args)
}

// The account-wide search (a statement assembled from the filter's parts) is in
// `search.rs`; declared last so that it sees the column macros above.
mod audit;
mod search;
pub use audit::{audit_page, insert_audits, packed_audit_page, PURGE_AUDIT_EVENTS};
pub use search::{count_sessions, end_matching, search_sessions};
