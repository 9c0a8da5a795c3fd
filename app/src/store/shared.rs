//! The SQL both backends share, written once. Each backend module defines its pool
//! (`self.pool`), `BACKEND`, `LOCK_ROW` (how a read locks the row it will update),
//! `NULL_INSTANT` (a typed NULL timestamp) and the session-cache hooks (`cached`,
//! `generation`, `remember`, `invalidate`, `touched`; no-ops where there is no cache),
//! then invokes [`shared_store!`] with its store type and sqlx database.

pub(super) const SESSION_COLUMNS: &str =
    "id, account_id, user_id, kind, created_at, last_active_at, expires_at, \
     ip, last_ip, user_agent, ended_at, ended_by, end_reason";

/// A session list's columns: the session and the name of whoever ended it.
pub(super) const LISTING_COLUMNS: &str =
    "s.id, s.account_id, s.user_id, s.kind, s.created_at, s.last_active_at, \
     s.expires_at, s.ip, s.last_ip, s.user_agent, s.ended_at, s.ended_by, s.end_reason, \
     e.display_name AS ended_by_name";

/// The session check's columns and joins: every join is on a primary key.
pub(super) const CONTEXT_SELECT: &str =
    "SELECT s.id AS session_id, s.account_id, s.user_id, s.kind, s.created_at, \
     s.last_active_at, s.last_ip, s.ended_at, s.end_reason, m.role, u.display_name, u.email, \
     a.name AS account_name, st.inactivity_secs, st.max_duration_secs, st.concurrent_limit";
pub(super) const CONTEXT_JOINS: &str =
    "JOIN memberships m ON m.account_id = s.account_id AND m.user_id = s.user_id \
     JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = s.account_id \
     JOIN account_settings st ON st.account_id = s.account_id";

macro_rules! shared_store {
    ($store:ty, $db:ty) => {
#[async_trait]
impl Store for $store {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn has_accounts(&self) -> StoreResult<bool> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts)").fetch_one(&self.pool).await?)
    }

    async fn create_account_with_owner(
        &self,
        account_name: &str,
        owner: &NewUser,
        now: DateTime<Utc>,
    ) -> StoreResult<(Account, User)> {
        let mut tx = self.pool.begin().await?;
        let account: Account = sqlx::query_as(
            "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) \
             RETURNING id, name, created_at",
        )
        .bind(Uuid::new_v4())
        .bind(account_name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict)?;
        sqlx::query("INSERT INTO account_settings (account_id, updated_at) VALUES ($1, $2)")
            .bind(account.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let user = insert_user(&mut tx, owner, now).await?;
        insert_membership(&mut tx, account.id, user.id, Role::Owner, now).await?;
        tx.commit().await?;
        Ok((account, user))
    }

    async fn account(&self, id: Uuid) -> StoreResult<Option<Account>> {
        Ok(
            sqlx::query_as("SELECT id, name, created_at FROM accounts WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>> {
        Ok(
            sqlx::query_as("SELECT id, name, created_at FROM accounts WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn create_member(
        &self,
        account_id: Uuid,
        user: &NewUser,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let mut tx = self.pool.begin().await?;
        let created = insert_user(&mut tx, user, now).await?;
        insert_membership(&mut tx, account_id, created.id, role, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn add_membership(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Membership> {
        let mut tx = self.pool.begin().await?;
        let membership = insert_membership(&mut tx, account_id, user_id, role, now).await?;
        tx.commit().await?;
        Ok(membership)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(
            sqlx::query_as("SELECT id, email, display_name, created_at FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<PasswordHash>> {
        let hash: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(hash.map(PasswordHash))
    }

    async fn membership(&self, account_id: Uuid, user_id: Uuid) -> StoreResult<Option<Membership>> {
        Ok(sqlx::query_as(
            "SELECT account_id, user_id, role, created_at FROM memberships \
             WHERE account_id = $1 AND user_id = $2",
        )
        .bind(account_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn accounts_of_user(&self, user_id: Uuid) -> StoreResult<Vec<AccountRole>> {
        Ok(sqlx::query_as(
            "SELECT a.id AS account_id, a.name AS account_name, m.role \
             FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.user_id = $1 ORDER BY a.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn login_session_settings(&self, account_id: Uuid) -> StoreResult<LoginSessionSettings> {
        let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT inactivity_secs, max_duration_secs, concurrent_limit \
             FROM account_settings WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        let (inactivity_secs, max_duration_secs, concurrent_limit) = row.ok_or(StoreError::NotFound)?;
        Ok(LoginSessionSettings {
            inactivity_secs,
            max_duration_secs,
            concurrent_limit,
        })
    }

    async fn update_login_session_settings(
        &self,
        account_id: Uuid,
        settings: &LoginSessionSettings,
        by: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let old: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT inactivity_secs, max_duration_secs, concurrent_limit FROM account_settings \
             WHERE account_id = $1{LOCK_ROW}"
        ))
        .bind(account_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (inactivity_secs, max_duration_secs, concurrent_limit) = old.ok_or(StoreError::NotFound)?;
        let old = LoginSessionSettings {
            inactivity_secs,
            max_duration_secs,
            concurrent_limit,
        };
        sqlx::query(
            "UPDATE account_settings SET inactivity_secs = $2, max_duration_secs = $3, concurrent_limit = $4, \
             updated_at = $5, updated_by = $6 WHERE account_id = $1",
        )
        .bind(account_id)
        .bind(settings.inactivity_secs)
        .bind(settings.max_duration_secs)
        .bind(settings.concurrent_limit)
        .bind(now)
        .bind(by)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, &settings_event(account_id, &old, settings, by, now)).await?;
        tx.commit().await?;
        self.invalidate();
        Ok(())
    }

    async fn create_session(&self, new: &NewSession) -> StoreResult<LoginSession> {
        let sql = format!(
            "INSERT INTO login_sessions (id, token_hash, account_id, user_id, kind, created_at, \
             last_active_at, expires_at, ip, last_ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $8, $9) RETURNING {SESSION_COLUMNS}"
        );
        let mut tx = self.pool.begin().await?;
        let session: LoginSession = sqlx::query_as(&sql)
            .bind(new.id)
            .bind(&new.token_hash.0[..])
            .bind(new.account_id)
            .bind(new.user_id)
            .bind(new.kind.as_str())
            .bind(new.created_at)
            .bind(new.expires_at)
            .bind(&new.ip)
            .bind(&new.user_agent)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict)?;
        sqlx::query(
            "UPDATE memberships SET last_active_at = $3 WHERE account_id = $1 AND user_id = $2 \
             AND (last_active_at IS NULL OR last_active_at < $3)",
        )
        .bind(new.account_id)
        .bind(new.user_id)
        .bind(new.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(session)
    }

    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>, ip: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let touched = sqlx::query(
            "UPDATE login_sessions SET last_active_at = $2, last_ip = $3 \
             WHERE id = $1 AND ended_at IS NULL AND last_active_at < $2",
        )
        .bind(id)
        .bind(at)
        .bind(ip)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if touched == 1 {
            sqlx::query(
                "UPDATE memberships SET last_active_at = $2 \
                 WHERE account_id = (SELECT account_id FROM login_sessions WHERE id = $1) \
                   AND user_id = (SELECT user_id FROM login_sessions WHERE id = $1) \
                   AND (last_active_at IS NULL OR last_active_at < $2)",
            )
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        if touched == 1 {
            self.touched(id, at, ip);
        }
        Ok(())
    }

    async fn session(&self, account_id: Uuid, id: Uuid) -> StoreResult<Option<LoginSession>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM login_sessions WHERE id = $1 AND account_id = $2");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn sessions_of_user(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        view: SessionView,
        live: Liveness,
    ) -> StoreResult<Vec<SessionListing>> {
        let filter = match view {
            SessionView::Active => "AND s.ended_at IS NULL AND s.last_active_at >= $3 AND s.created_at >= $4",
            SessionView::Ended => {
                "AND (s.ended_at IS NOT NULL OR s.last_active_at < $3 OR s.created_at < $4)"
            }
            SessionView::All => "",
        };
        let sql = format!(
            "SELECT {LISTING_COLUMNS} FROM login_sessions s LEFT JOIN users e ON e.id = s.ended_by \
             WHERE s.account_id = $1 AND s.user_id = $2 {filter} ORDER BY s.created_at DESC"
        );
        let mut query = sqlx::query_as(&sql).bind(account_id).bind(user_id);
        if view != SessionView::All {
            query = query.bind(live.idle_before).bind(live.created_before);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    async fn list_users(&self, account_id: Uuid, query: &UserQuery, live: Liveness) -> StoreResult<UserPage> {
        let (inner, outer) = match query.sort {
            UserSort::Name => (
                "LOWER(u.display_name), u.id",
                "LOWER(page.display_name), page.user_id",
            ),
            UserSort::LastActive => (
                "m.last_active_at DESC NULLS LAST, LOWER(u.display_name), u.id",
                "page.last_active_at DESC NULLS LAST, LOWER(page.display_name), page.user_id",
            ),
        };
        // The page is chosen first; active sessions are counted for its rows only.
        let sql = format!(
            "WITH page AS ( \
               SELECT u.id AS user_id, u.display_name, u.email, m.role, m.created_at AS member_since, \
                      m.last_active_at, COUNT(*) OVER () AS total \
               FROM memberships m JOIN users u ON u.id = m.user_id \
               WHERE m.account_id = $1 \
                 AND (LOWER(u.display_name) LIKE $2 ESCAPE '\\' OR u.email LIKE $2 ESCAPE '\\') \
               ORDER BY {inner} LIMIT $3 OFFSET $4) \
             SELECT page.*, (SELECT COUNT(*) FROM login_sessions s \
                 WHERE s.account_id = $1 AND s.user_id = page.user_id AND s.ended_at IS NULL \
                   AND s.last_active_at >= $5 AND s.created_at >= $6) AS active_sessions \
             FROM page ORDER BY {outer}"
        );
        let rows: Vec<UserRow> = sqlx::query_as(&sql)
            .bind(account_id)
            .bind(like_pattern(&query.search))
            .bind(query.limit)
            .bind(query.offset)
            .bind(live.idle_before)
            .bind(live.created_before)
            .fetch_all(&self.pool)
            .await?;
        Ok(user_page(rows))
    }

    async fn member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        live: Liveness,
    ) -> StoreResult<Option<UserListing>> {
        Ok(sqlx::query_as(
            "SELECT u.id AS user_id, u.display_name, u.email, m.role, m.created_at AS member_since, \
                    m.last_active_at, (SELECT COUNT(*) FROM login_sessions s \
                        WHERE s.account_id = m.account_id AND s.user_id = m.user_id AND s.ended_at IS NULL \
                          AND s.last_active_at >= $3 AND s.created_at >= $4) AS active_sessions \
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = $1 AND m.user_id = $2",
        )
        .bind(account_id)
        .bind(user_id)
        .bind(live.idle_before)
        .bind(live.created_before)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn end_session(&self, account_id: Uuid, id: Uuid, end: &SessionEnd) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // The `ended_at IS NULL` guard makes concurrent ends race-free: one wins, the rest no-op.
        let sql = format!(
            "UPDATE login_sessions SET ended_at = $3, ended_by = $4, end_reason = $5 \
             WHERE id = $1 AND account_id = $2 AND ended_at IS NULL RETURNING {SESSION_COLUMNS}"
        );
        let ended: Option<LoginSession> = sqlx::query_as(&sql)
            .bind(id)
            .bind(account_id)
            .bind(end.at)
            .bind(end.by)
            .bind(end.reason.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(session) = ended else {
            return Ok(false);
        };
        insert_audit(&mut tx, &session_end_event(account_id, &session, end)).await?;
        tx.commit().await?;
        self.invalidate();
        Ok(true)
    }

    async fn session_by_token(
        &self,
        hash: &TokenHash,
        kind: SessionKind,
    ) -> StoreResult<Option<SessionContext>> {
        let lookup = match kind {
            SessionKind::Browser => Lookup::Browser,
            SessionKind::Cli => Lookup::Refresh,
        };
        if let Some(hit) = self.cached(hash, lookup) {
            return Ok(Some(hit));
        }
        let generation = self.generation();
        let sql = format!(
            "{CONTEXT_SELECT}, {NULL_INSTANT} AS token_expires_at FROM login_sessions s {CONTEXT_JOINS} \
             WHERE s.token_hash = $1 AND s.kind = $2"
        );
        let found: Option<SessionContext> = sqlx::query_as(&sql)
            .bind(&hash.0[..])
            .bind(kind.as_str())
            .fetch_optional(&self.pool)
            .await?;
        if let Some(context) = &found {
            self.remember(hash, lookup, generation, context);
        }
        Ok(found)
    }

    async fn session_by_access_token(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionContext>> {
        if let Some(hit) = self.cached(hash, Lookup::Access) {
            return Ok(hit
                .token_expires_at
                .is_some_and(|expiry| expiry > now)
                .then_some(hit));
        }
        let generation = self.generation();
        let sql = format!(
            "{CONTEXT_SELECT}, t.expires_at AS token_expires_at FROM session_tokens t \
             JOIN login_sessions s ON s.id = t.session_id {CONTEXT_JOINS} \
             WHERE t.token_hash = $1 AND t.purpose = 'access' AND t.expires_at > $2"
        );
        let found: Option<SessionContext> = sqlx::query_as(&sql)
            .bind(&hash.0[..])
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(context) = &found {
            self.remember(hash, Lookup::Access, generation, context);
        }
        Ok(found)
    }

    async fn session_by_retired_refresh(&self, hash: &TokenHash) -> StoreResult<Option<(Uuid, Uuid)>> {
        Ok(sqlx::query_as(
            "SELECT s.account_id, s.id FROM session_tokens t JOIN login_sessions s ON s.id = t.session_id \
             WHERE t.token_hash = $1 AND t.purpose = 'retired_refresh'",
        )
        .bind(&hash.0[..])
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn add_access_token(
        &self,
        session_id: Uuid,
        hash: &TokenHash,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO session_tokens (token_hash, session_id, purpose, expires_at) VALUES ($1, $2, 'access', $3)",
        )
        .bind(&hash.0[..])
        .bind(session_id)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    async fn rotate_refresh_token(
        &self,
        session_id: Uuid,
        old: &TokenHash,
        new: &TokenHash,
        retired_until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // Compare-and-swap on the current hash: of two concurrent refreshes one wins.
        let swapped = sqlx::query(
            "UPDATE login_sessions SET token_hash = $3 WHERE id = $1 AND token_hash = $2 AND ended_at IS NULL",
        )
        .bind(session_id)
        .bind(&old.0[..])
        .bind(&new.0[..])
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if swapped != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO session_tokens (token_hash, session_id, purpose, expires_at) \
             VALUES ($1, $2, 'retired_refresh', $3)",
        )
        .bind(&old.0[..])
        .bind(session_id)
        .bind(retired_until)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.invalidate();
        Ok(true)
    }

    async fn sign_in_failures(&self, keys: [&str; 2]) -> StoreResult<Vec<(String, Failures)>> {
        let rows: Vec<(String, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT key, failures, window_started_at FROM sign_in_throttle WHERE key = $1 OR key = $2",
        )
        .bind(keys[0])
        .bind(keys[1])
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, count, window_started_at)| {
                (
                    key,
                    Failures {
                        count,
                        window_started_at,
                    },
                )
            })
            .collect())
    }

    async fn record_sign_in_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_cut: DateTime<Utc>,
    ) -> StoreResult<()> {
        // One statement, so concurrent failures are all counted.
        sqlx::query(
            "INSERT INTO sign_in_throttle (key, failures, window_started_at) VALUES ($1, 1, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN sign_in_throttle.window_started_at < $3 THEN 1 \
                               ELSE sign_in_throttle.failures + 1 END, \
               window_started_at = CASE WHEN sign_in_throttle.window_started_at < $3 THEN $2 \
                                        ELSE sign_in_throttle.window_started_at END",
        )
        .bind(key)
        .bind(now)
        .bind(window_cut)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn accounts_settings(&self) -> StoreResult<Vec<(Uuid, LoginSessionSettings)>> {
        let rows: Vec<(Uuid, Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT account_id, inactivity_secs, max_duration_secs, concurrent_limit FROM account_settings",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, inactivity_secs, max_duration_secs, concurrent_limit)| {
                (
                    id,
                    LoginSessionSettings {
                        inactivity_secs,
                        max_duration_secs,
                        concurrent_limit,
                    },
                )
            })
            .collect())
    }

    async fn unrecorded_expired(
        &self,
        account_id: Uuid,
        live: Liveness,
        limit: i64,
    ) -> StoreResult<Vec<LoginSession>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM login_sessions WHERE account_id = $1 AND ended_at IS NULL \
             AND (last_active_at < $2 OR created_at < $3) ORDER BY last_active_at LIMIT $4"
        );
        Ok(sqlx::query_as(&sql)
            .bind(account_id)
            .bind(live.idle_before)
            .bind(live.created_before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn purge(&self, ended_before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64> {
        let tokens = sqlx::query("DELETE FROM session_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        let sessions = sqlx::query("DELETE FROM login_sessions WHERE ended_at < $1")
            .bind(ended_before)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(tokens + sessions)
    }

    async fn create_members_bulk(
        &self,
        account_id: Uuid,
        users: &[NewUser],
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        let ids: Vec<Uuid> = users.iter().map(|_| Uuid::new_v4()).collect();
        let mut tx = self.pool.begin().await?;
        for (chunk, chunk_ids) in users.chunks(BULK_ROWS).zip(ids.chunks(BULK_ROWS)) {
            let mut insert =
                QueryBuilder::new("INSERT INTO users (id, email, display_name, password_hash, created_at) ");
            insert.push_values(chunk.iter().zip(chunk_ids), |mut row, (user, id)| {
                row.push_bind(*id)
                    .push_bind(&user.email)
                    .push_bind(&user.display_name)
                    .push_bind(&user.password_hash.0)
                    .push_bind(now);
            });
            insert.build().execute(&mut *tx).await.map_err(conflict)?;
            let mut members =
                QueryBuilder::new("INSERT INTO memberships (account_id, user_id, role, created_at) ");
            members.push_values(chunk_ids, |mut row, id| {
                row.push_bind(account_id)
                    .push_bind(*id)
                    .push_bind(role.as_str())
                    .push_bind(now);
            });
            members.build().execute(&mut *tx).await.map_err(conflict)?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn insert_sessions_bulk(&self, sessions: &[SeedSession]) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let mut inserted = 0;
        for chunk in sessions.chunks(BULK_ROWS) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO login_sessions (id, token_hash, account_id, user_id, kind, created_at, last_active_at, \
                 expires_at, ip, last_ip, user_agent, ended_at, ended_by, end_reason) ",
            );
            insert.push_values(chunk, |mut row, s| {
                row.push_bind(s.id)
                    .push_bind(s.token_hash.0.to_vec())
                    .push_bind(s.account_id)
                    .push_bind(s.user_id)
                    .push_bind(s.kind.as_str())
                    .push_bind(s.created_at)
                    .push_bind(s.last_active_at)
                    .push_bind(s.expires_at)
                    .push_bind(&s.ip)
                    .push_bind(&s.last_ip)
                    .push_bind(&s.user_agent)
                    .push_bind(s.ended_at)
                    .push_bind(s.ended_by)
                    .push_bind(s.end_reason.map(|r| r.as_str()));
            });
            inserted += insert
                .build()
                .execute(&mut *tx)
                .await
                .map_err(conflict)?
                .rows_affected();
        }
        let mut accounts: Vec<Uuid> = sessions.iter().map(|s| s.account_id).collect();
        accounts.sort_unstable();
        accounts.dedup();
        for account_id in accounts {
            sqlx::query(
                "UPDATE memberships SET last_active_at = (SELECT MAX(s.last_active_at) FROM login_sessions s \
                 WHERE s.account_id = memberships.account_id AND s.user_id = memberships.user_id) \
                 WHERE account_id = $1",
            )
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    async fn record_audit(&self, event: &NewAuditEvent) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_audit(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_events(&self, account_id: Uuid, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        Ok(sqlx::query_as(
            "SELECT id, account_id, actor_user_id, action, target_user_id, session_id, details, occurred_at \
             FROM audit_events WHERE account_id = $1 ORDER BY occurred_at DESC, id LIMIT $2",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

type Tx<'a> = sqlx::Transaction<'a, $db>;

async fn insert_user(tx: &mut Tx<'_>, user: &NewUser, now: DateTime<Utc>) -> StoreResult<User> {
    sqlx::query_as(
        "INSERT INTO users (id, email, display_name, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id, email, display_name, created_at",
    )
    .bind(Uuid::new_v4())
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&user.password_hash.0)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(conflict)
}

async fn insert_membership(
    tx: &mut Tx<'_>,
    account_id: Uuid,
    user_id: Uuid,
    role: Role,
    now: DateTime<Utc>,
) -> StoreResult<Membership> {
    sqlx::query_as(
        "INSERT INTO memberships (account_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING account_id, user_id, role, created_at",
    )
    .bind(account_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
        _ => conflict(e),
    })
}

async fn insert_audit(tx: &mut Tx<'_>, event: &NewAuditEvent) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, account_id, actor_user_id, action, target_user_id, session_id, \
         details, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::new_v4())
    .bind(event.account_id)
    .bind(event.actor_user_id)
    .bind(event.action)
    .bind(event.target_user_id)
    .bind(event.session_id)
    .bind(event.details.to_string())
    .bind(event.occurred_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

    };
}

pub(super) use shared_store;
