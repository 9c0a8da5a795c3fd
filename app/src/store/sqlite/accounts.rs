//! Accounts, people, memberships, limits and the sign-in throttle on SQLite.

use super::*;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn has_accounts(&self) -> StoreResult<bool> {
        Ok(sqlx::query_scalar(sql::HAS_ACCOUNTS)
            .fetch_one(&self.pool)
            .await?)
    }
    async fn create_account_with_owner(
        &self,
        account_name: &str,
        owner: &NewUser,
        now: DateTime<Utc>,
    ) -> StoreResult<(Account, User)> {
        let mut tx = self.pool.begin().await?;
        let account: Account = sqlx::query_as(sql::INSERT_ACCOUNT)
            .bind(Uuid::new_v4())
            .bind(account_name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict)?;
        sqlx::query(sql::INSERT_DEFAULT_SETTINGS)
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
        Ok(sqlx::query_as(sql::ACCOUNT_BY_ID)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }
    async fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>> {
        Ok(sqlx::query_as(sql::ACCOUNT_BY_NAME)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
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
        Ok(sqlx::query_as(sql::USER_BY_EMAIL)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }
    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<PasswordHash>> {
        let hash: Option<String> = sqlx::query_scalar(sql::PASSWORD_HASH)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(hash.map(PasswordHash))
    }
    async fn membership(&self, account_id: Uuid, user_id: Uuid) -> StoreResult<Option<Membership>> {
        Ok(sqlx::query_as(sql::MEMBERSHIP)
            .bind(account_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }
    async fn accounts_of_user(&self, user_id: Uuid) -> StoreResult<Vec<AccountRole>> {
        Ok(sqlx::query_as(sql::ACCOUNTS_OF_USER)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
    }
    async fn login_session_settings(&self, account_id: Uuid) -> StoreResult<LoginSessionSettings> {
        let found = sqlx::query_as(sql::SETTINGS)
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        found.ok_or(StoreError::NotFound)
    }
    async fn update_login_session_settings(
        &self,
        account_id: Uuid,
        old: &LoginSessionSettings,
        new: &LoginSessionSettings,
        by: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(sql::UPDATE_SETTINGS_SQLITE)
            .bind(account_id)
            .bind(new.inactivity_secs)
            .bind(new.max_duration_secs)
            .bind(new.concurrent_limit)
            .bind(now)
            .bind(by)
            .bind(old.inactivity_secs)
            .bind(old.max_duration_secs)
            .bind(old.concurrent_limit)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 0 {
            let exists: bool = sqlx::query_scalar(sql::ACCOUNT_EXISTS)
                .bind(account_id)
                .fetch_one(&mut *tx)
                .await?;
            return if exists {
                Ok(false)
            } else {
                Err(StoreError::NotFound)
            };
        }
        let event = NewAuditEvent::settings_changed(account_id, old, new, by, now);
        insert_audits(&mut tx, std::slice::from_ref(&event)).await?;
        tx.commit().await?;
        self.cache.invalidate();
        Ok(true)
    }
    async fn list_users(
        &self,
        account_id: Uuid,
        query: &UserQuery,
        live: Liveness,
    ) -> StoreResult<UserMatches> {
        let sql = match query.sort {
            UserSort::Name => sql::LIST_USERS_BY_NAME,
            UserSort::LastActive => sql::LIST_USERS_BY_ACTIVITY,
        };
        let rows: Vec<UserRow> = sqlx::query_as(sql)
            .bind(account_id)
            .bind(like_pattern(&query.search))
            .bind(query.limit)
            .bind(query.offset)
            .bind(live.idle_before)
            .bind(live.created_before)
            .fetch_all(&self.pool)
            .await?;
        Ok(user_matches(rows))
    }
    async fn member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        live: Liveness,
    ) -> StoreResult<Option<UserListing>> {
        Ok(sqlx::query_as(sql::MEMBER)
            .bind(account_id)
            .bind(user_id)
            .bind(live.idle_before)
            .bind(live.created_before)
            .fetch_optional(&self.pool)
            .await?)
    }
    async fn sign_in_failures(&self, keys: [&str; 2]) -> StoreResult<Vec<(String, Failures)>> {
        let rows: Vec<(String, i64, DateTime<Utc>)> = sqlx::query_as(sql::FAILURES)
            .bind(keys[0])
            .bind(keys[1])
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(failures).collect())
    }
    async fn record_sign_in_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        window_cut: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(sql::RECORD_FAILURE)
            .bind(key)
            .bind(now)
            .bind(window_cut)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
    async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query(sql::CLEAR_FAILURES)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
    async fn accounts_settings(&self) -> StoreResult<Vec<(Uuid, LoginSessionSettings)>> {
        let rows: Vec<AccountSettingsRow> = sqlx::query_as(sql::ALL_SETTINGS).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
