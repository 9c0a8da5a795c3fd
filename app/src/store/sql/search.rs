//! The account-wide search's statements, assembled from the filter's parts: its count,
//! one keyset page, and the bulk end. See docs/performance.md for the plans they get.

use crate::domain::search::{key_range, SessionSort};
use crate::domain::SessionView;
use crate::store::dialect::{args, Args, Dialect, Value};
use crate::store::{SessionEnd, SessionMatch, SessionQuery};
use uuid::Uuid;

/// Binds `value` as the next argument and returns its placeholder.
fn bind(args: &mut Args, value: impl Into<Value>) -> String {
    args.push(value.into());
    format!("${}", args.len())
}

/// Which address an IP filter looks at in one branch of a search: the two are
/// searched in two index ranges (two index-only scans: sessions signed in from the range,
/// then sessions last seen there that were not), or, in a single branch, as one OR.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Address {
    Both,
    First,
    Last,
}

/// The WHERE clause of a search over `login_sessions s`, binding its arguments after
/// those already in `args`. The account always comes first.
fn matching<DB: Dialect>(account_id: Uuid, m: &SessionMatch, address: Address, args: &mut Args) -> String {
    let account = bind(args, account_id);
    // Picked sessions are looked up by id, not found among the account's.
    let column = if m.ids.is_some() {
        DB::unindexed("s.account_id")
    } else {
        "s.account_id".to_owned()
    };
    let mut and = vec![format!("{column} = {account}")];
    let f = &m.filter;
    if let Some(people) = &m.people {
        let list: Vec<String> = people.iter().map(|id| bind(args, *id)).collect();
        // Nobody matched: nothing does.
        and.push(if list.is_empty() {
            "1 = 0".to_owned()
        } else {
            DB::selective(format!("s.user_id IN ({})", list.join(", ")))
        });
    } else if let Some(user) = &f.user {
        let p = bind(args, crate::store::types::like_pattern(user));
        let people = super::person_matches::<DB>(&account, &p);
        and.push(DB::selective(format!("s.user_id IN ({people})")));
    }
    if let Some(net) = &f.ip {
        let (lo, hi) = key_range(net);
        let (lo, hi) = (bind(args, Value::Bytes(lo)), bind(args, Value::Bytes(hi)));
        let range = |column: &str| format!("s.{column} >= {lo} AND s.{column} <= {hi}");
        // Each bound marked selective: otherwise SQLite may walk a whole day of sign-ins
        // (the liveness bounds on `created_at`) rather than the address range (0.45 s
        // against 0.04 s to count ~11 000 live sessions of a /27).
        let indexed = |column: &str| {
            let lower = DB::selective(format!("s.{column} >= {lo}"));
            format!("{lower} AND {}", DB::selective(format!("s.{column} <= {hi}")))
        };
        and.push(match address {
            Address::Both => format!("(({}) OR ({}))", range("ip_key"), range("last_ip_key")),
            Address::First => indexed("ip_key"),
            // Disjoint from the first branch, so the branches add up without a dedupe.
            Address::Last => format!("{} AND NOT ({})", indexed("last_ip_key"), range("ip_key")),
        });
    }
    if let Some(device) = &f.device {
        let p = bind(args, crate::store::types::like_pattern(device));
        and.push(format!(
            "s.device IN (SELECT label FROM device_labels WHERE LOWER(label) LIKE {p} ESCAPE '\\')"
        ));
    }
    if let Some(kind) = f.credential {
        and.push(format!("s.kind = {}", bind(args, kind)));
    }
    let (mut signed_in, mut active) = (f.signed_in, f.active);
    match f.state {
        // Live means signed in and last active after the account's cuts: folded into
        // the filter's own ranges, so each column gets one lower bound.
        SessionView::Active => {
            and.push("s.ended_at IS NULL".to_owned());
            signed_in = signed_in.not_before(m.live.created_before);
            active = active.not_before(m.live.idle_before);
        }
        SessionView::Ended => {
            let idle = bind(args, m.live.idle_before);
            let created = bind(args, m.live.created_before);
            and.push(format!(
                "(s.ended_at IS NOT NULL OR s.last_active_at < {idle} OR s.created_at < {created})"
            ));
        }
        SessionView::All => {}
    }
    for (column, range) in [("s.created_at", signed_in), ("s.last_active_at", active)] {
        if let Some(after) = range.after {
            and.push(format!("{column} >= {}", bind(args, after)));
        }
        if let Some(before) = range.before {
            and.push(format!("{column} < {}", bind(args, before)));
        }
    }
    if let Some(ids) = &m.ids {
        let list: Vec<String> = ids.iter().map(|id| bind(args, *id)).collect();
        and.push(format!("s.id IN ({})", list.join(", ")));
    }
    if let Some(by) = m.signed_in_by {
        and.push(format!("s.created_at <= {}", bind(args, by)));
    }
    if let Some(user) = m.only_user {
        and.push(format!("s.user_id = {}", bind(args, user)));
    }
    if let Some(user) = m.except_user {
        and.push(format!("s.user_id <> {}", bind(args, user)));
    }
    if let Some(session) = m.except_session {
        and.push(format!("s.id <> {}", bind(args, session)));
    }
    and.join(" AND ")
}

/// `SELECT {columns} FROM login_sessions s{from} WHERE …` once per branch, joined by
/// UNION ALL (the branches never share a row): an address filter searches its two
/// indexes apart unless `single`; every other search is one branch. `extra` adds
/// conditions to each branch.
fn branches<DB: Dialect>(
    account_id: Uuid,
    m: &SessionMatch,
    columns: &str,
    from: &str,
    single: bool,
    extra: impl Fn(&mut Args) -> String,
    args: &mut Args,
) -> String {
    let addresses: &[Address] = if m.filter.ip.is_some() && !single {
        &[Address::First, Address::Last]
    } else {
        &[Address::Both]
    };
    addresses
        .iter()
        .map(|&address| {
            let conditions = matching::<DB>(account_id, m, address, args);
            format!(
                "SELECT {columns} FROM login_sessions s{from} WHERE {conditions}{}",
                extra(args)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// One keyset page of an account's sessions with their holders, newest first: the
/// page's ids from the filters' indexes alone, then its rows and their holders.
pub fn search_sessions<DB: Dialect>(account_id: Uuid, q: &SessionQuery) -> (String, Args) {
    let mut args = Args::new();
    let (key, index) = match q.sort {
        SessionSort::SignedIn => ("created_at", "login_sessions_account_signed_in"),
        SessionSort::LastActive => ("last_active_at", "login_sessions_account_last_active"),
    };
    let walk = if q.many_matches {
        DB::walk_index(index)
    } else {
        String::new()
    };
    let after = |args: &mut Args| match q.after {
        Some(cursor) => {
            let (at, id) = (bind(args, cursor.at), bind(args, cursor.id));
            format!(" AND (s.{key}, s.id) < ({at}, {id})")
        }
        None => String::new(),
    };
    let columns = format!("s.id, s.{key} AS sort_key");
    let ids = branches::<DB>(
        account_id,
        &q.matching,
        &columns,
        &walk,
        q.many_matches,
        after,
        &mut args,
    );
    let limit = bind(&mut args, q.limit);
    let sql = format!(
        "SELECT s.id, s.account_id, s.user_id, s.kind, s.created_at, s.last_active_at, \
         s.expires_at, s.ip, s.last_ip, s.user_agent, s.ended_at, s.ended_by, s.end_reason, \
         s.device_name, s.device_kind, e.display_name AS ended_by_name, u.display_name AS user_name, u.email AS user_email, \
         m.role AS user_role \
         FROM (SELECT id FROM ({ids}) found ORDER BY sort_key DESC, id DESC LIMIT {limit}) page \
         JOIN login_sessions s ON s.id = page.id \
         JOIN memberships m ON m.account_id = s.account_id AND m.user_id = s.user_id \
         JOIN users u ON u.id = s.user_id LEFT JOIN users e ON e.id = s.ended_by \
         ORDER BY s.{key} DESC, s.id DESC"
    );
    (sql, args)
}

/// How many sessions a search matches and, with `users`, of how many people.
pub fn count_sessions<DB: Dialect>(account_id: Uuid, m: &SessionMatch, users: bool) -> (String, Args) {
    let mut args = Args::new();
    let (columns, people) = if users {
        ("s.id, s.user_id", "COUNT(DISTINCT found.user_id)")
    } else {
        ("s.id", "CAST(0 AS BIGINT)")
    };
    let found = branches::<DB>(account_id, m, columns, "", false, |_| String::new(), &mut args);
    let sql = format!("SELECT COUNT(*) AS sessions, {people} AS users FROM ({found}) found");
    (sql, args)
}

/// Ends up to `limit` sessions a search matches that have not ended yet (run again
/// until fewer come back: the ended ones no longer match).
pub fn end_matching<DB: Dialect>(
    account_id: Uuid,
    m: &SessionMatch,
    end: &SessionEnd,
    limit: usize,
) -> (String, Args) {
    let mut args = args![end.at, end.by, end.reason];
    let key = DB::ROW_KEY;
    let found = branches::<DB>(
        account_id,
        m,
        &format!("s.{key} AS k"),
        "",
        false,
        |_| String::new(),
        &mut args,
    );
    let limit = bind(&mut args, limit as i64);
    let sql = format!(
        concat!(
            "{} login_sessions SET ended_at = $1, ended_by = $2, end_reason = $3 \
             WHERE ended_at IS NULL AND {} IN (SELECT k FROM ({}) found LIMIT {}) \
             RETURNING ",
            session_columns!()
        ),
        DB::UPDATE_MANY,
        key,
        found,
        limit
    );
    (sql, args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::search::{SessionFilter, TimeRange};
    use crate::store::Liveness;
    use chrono::{TimeZone, Utc};

    /// Each bound on `created_at` the statement holds, with its argument.
    fn created_bounds(sql: &str, args: &Args) -> Vec<Value> {
        sql.match_indices("s.created_at >= $")
            .map(|(at, found)| {
                let digits: String = sql[at + found.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                let n: usize = digits.parse().expect("a placeholder");
                args[n - 1].clone()
            })
            .collect()
    }

    #[test]
    fn an_active_search_in_a_sign_in_range_has_one_lower_bound() {
        let at = |h: u32| Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap();
        let live = Liveness {
            idle_before: at(10),
            created_before: at(1),
        };
        let filter = SessionFilter {
            signed_in: TimeRange {
                after: Some(at(4)),
                before: Some(at(5)),
            },
            ..SessionFilter::default()
        };
        let m = SessionMatch::new(filter, live);
        for sql_and_args in [
            count_sessions::<sqlx::Sqlite>(Uuid::nil(), &m, false),
            count_sessions::<sqlx::Postgres>(Uuid::nil(), &m, false),
        ] {
            let (sql, args) = sql_and_args;
            assert_eq!(
                created_bounds(&sql, &args),
                vec![Value::Time(Some(at(4)))],
                "{sql}"
            );
        }
        // Without a range of its own, the liveness cut is the bound.
        let m = SessionMatch::new(SessionFilter::default(), live);
        let (sql, args) = count_sessions::<sqlx::Sqlite>(Uuid::nil(), &m, false);
        assert_eq!(created_bounds(&sql, &args), vec![Value::Time(Some(at(1)))]);
    }
}
