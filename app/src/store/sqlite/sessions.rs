//! Login sessions, their credentials and the sweep on SQLite.

use super::*;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, new: &NewSession) -> StoreResult<LoginSession> {
        let mut tx = self.pool.begin().await?;
        let session: LoginSession = sqlx::query_as(sql::INSERT_SESSION)
            .bind(new.id)
            .bind(&new.token_hash.0[..])
            .bind(new.account_id)
            .bind(new.user_id)
            .bind(new.kind)
            .bind(new.created_at)
            .bind(new.expires_at)
            .bind(&new.ip)
            .bind(&new.user_agent)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict)?;
        sqlx::query(sql::MEMBER_ACTIVE_AT)
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
        let touched: Option<(Uuid, Uuid)> = sqlx::query_as(sql::TOUCH_SESSION)
            .bind(id)
            .bind(at)
            .bind(ip)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((account_id, user_id)) = touched else {
            return Ok(());
        };
        sqlx::query(sql::MEMBER_ACTIVE_AT)
            .bind(account_id)
            .bind(user_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.cache.touched(id, at, ip);
        Ok(())
    }
    async fn session(&self, account_id: Uuid, id: Uuid) -> StoreResult<Option<LoginSession>> {
        Ok(sqlx::query_as(sql::SESSION)
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
        let query = sqlx::query_as(sql::sessions_of_user(view))
            .bind(account_id)
            .bind(user_id);
        let query = match view {
            SessionView::All => query,
            SessionView::Active | SessionView::Ended => {
                query.bind(live.idle_before).bind(live.created_before)
            }
        };
        Ok(query.fetch_all(&self.pool).await?)
    }
    async fn end_sessions(
        &self,
        account_id: Uuid,
        selection: &SessionSelection,
        end: &SessionEnd,
    ) -> StoreResult<Vec<LoginSession>> {
        let mut tx = self.pool.begin().await?;
        let ended: Vec<LoginSession> = match selection {
            SessionSelection::LiveOfUser {
                user_id,
                except,
                live,
            } => {
                sqlx::query_as(sql::END_LIVE_OF_USER)
                    .bind(end.at)
                    .bind(end.by)
                    .bind(end.reason)
                    .bind(account_id)
                    .bind(user_id)
                    .bind(live.idle_before)
                    .bind(live.created_before)
                    .bind(except)
                    .fetch_all(&mut *tx)
                    .await?
            }
            SessionSelection::Ids { ids, user_id } => {
                let mut ended = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(BULK_ROWS) {
                    let mut update = sql::end_by_ids::<Sqlite>(account_id, chunk, *user_id, end);
                    ended.extend(update.build_query_as().fetch_all(&mut *tx).await?);
                }
                ended
            }
        };
        let events: Vec<_> = ended
            .iter()
            .map(|s| NewAuditEvent::session_ended(s, end))
            .collect();
        insert_audits(&mut tx, &events).await?;
        tx.commit().await?;
        if !ended.is_empty() {
            self.cache.invalidate();
        }
        Ok(ended)
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
        let query = sqlx::query_as(sql::CONTEXT_BY_TOKEN_SQLITE)
            .bind(&hash.0[..])
            .bind(kind);
        self.context(hash, lookup, query).await
    }
    async fn session_by_access_token(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionContext>> {
        let query = sqlx::query_as(sql::CONTEXT_BY_ACCESS_TOKEN)
            .bind(&hash.0[..])
            .bind(now);
        let found = self.context(hash, Lookup::Access, query).await?;
        // A cached entry may outlive its token's ten minutes.
        Ok(found.filter(|c| c.token_expires_at.is_some_and(|expiry| expiry > now)))
    }
    async fn session_by_retired_refresh(&self, hash: &TokenHash) -> StoreResult<Option<(Uuid, Uuid)>> {
        Ok(sqlx::query_as(sql::RETIRED_REFRESH)
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
        sqlx::query(sql::INSERT_ACCESS_TOKEN)
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
        let swapped = sqlx::query(sql::SWAP_REFRESH)
            .bind(session_id)
            .bind(&old.0[..])
            .bind(&new.0[..])
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if swapped != 1 {
            return Ok(false);
        }
        sqlx::query(sql::RETIRE_REFRESH)
            .bind(&old.0[..])
            .bind(session_id)
            .bind(retired_until)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.cache.invalidate();
        Ok(true)
    }
    async fn unrecorded_expired(
        &self,
        account_id: Uuid,
        live: Liveness,
        limit: i64,
    ) -> StoreResult<Vec<LoginSession>> {
        Ok(sqlx::query_as(sql::UNRECORDED_EXPIRED)
            .bind(account_id)
            .bind(live.idle_before)
            .bind(live.created_before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }
    async fn purge(&self, ended_before: DateTime<Utc>, now: DateTime<Utc>) -> StoreResult<u64> {
        let tokens = sqlx::query(sql::PURGE_TOKENS)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let sessions = sqlx::query(sql::PURGE_SESSIONS)
            .bind(ended_before)
            .execute(&self.pool)
            .await?;
        Ok(tokens.rows_affected() + sessions.rows_affected())
    }
}
