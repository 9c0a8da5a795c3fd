//! Accounts, people, memberships, the account's limits and the sign-in throttle.

use super::{insert_audits, insert_membership, insert_user, SqlStore};
use crate::domain::throttle::Attempts;
use crate::domain::{LoginSessionSettings, Role};
use crate::model::{Account, Membership, User, UserListing};
use crate::store::dialect::{args, Dialect};
use crate::store::types::{conflict, like_pattern, user_matches, AccountSettingsRow, UserRow};
use crate::store::{
    sql, AccountRole, AccountStore, Liveness, NewAuditEvent, NewUser, PasswordHash, StoreError, StoreResult,
    TokenHash, UserMatches, UserQuery,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[async_trait]
impl<DB: Dialect> AccountStore for SqlStore<DB> {
    async fn has_accounts(&self) -> StoreResult<bool> {
        let (exists,): (bool,) = self
            .optional(sql::HAS_ACCOUNTS, args![])
            .await?
            .unwrap_or((false,));
        Ok(exists)
    }

    async fn create_account_with_owner(
        &self,
        account_name: &str,
        owner: &NewUser,
        now: DateTime<Utc>,
    ) -> StoreResult<(Account, User)> {
        let (_turn, mut tx) = self.begin_write().await?;
        let args = args![Uuid::new_v4(), account_name, now];
        let created = DB::fetch_all(&mut *tx, sql::INSERT_ACCOUNT, args).await;
        let account: Account = created.map_err(conflict)?.pop().ok_or(StoreError::NotFound)?;
        DB::execute(&mut *tx, sql::INSERT_DEFAULT_SETTINGS, args![account.id, now]).await?;
        let user = insert_user(&mut tx, owner, now).await?;
        insert_membership(&mut tx, account.id, user.id, Role::Owner, now).await?;
        tx.commit().await?;
        Ok((account, user))
    }

    async fn account(&self, id: Uuid) -> StoreResult<Option<Account>> {
        self.optional(sql::ACCOUNT_BY_ID, args![id]).await
    }

    async fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>> {
        self.optional(sql::ACCOUNT_BY_NAME, args![name]).await
    }

    async fn create_member(
        &self,
        account_id: Uuid,
        user: &NewUser,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let (_turn, mut tx) = self.begin_write().await?;
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
        let (_turn, mut tx) = self.begin_write().await?;
        let membership = insert_membership(&mut tx, account_id, user_id, role, now).await?;
        tx.commit().await?;
        Ok(membership)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.optional(sql::USER_BY_EMAIL, args![email]).await
    }

    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<PasswordHash>> {
        let found: Option<(String,)> = self.optional(sql::PASSWORD_HASH, args![user_id]).await?;
        Ok(found.map(|(hash,)| PasswordHash(hash)))
    }

    async fn membership(&self, account_id: Uuid, user_id: Uuid) -> StoreResult<Option<Membership>> {
        self.optional(sql::MEMBERSHIP, args![account_id, user_id]).await
    }

    async fn owner_of(&self, account_id: Uuid) -> StoreResult<Option<Uuid>> {
        let found: Option<(Uuid,)> = self.optional(sql::OWNER, args![account_id]).await?;
        Ok(found.map(|(id,)| id))
    }

    async fn accounts_of_user(&self, user_id: Uuid) -> StoreResult<Vec<AccountRole>> {
        self.all(sql::ACCOUNTS_OF_USER, args![user_id]).await
    }

    async fn login_session_settings(&self, account_id: Uuid) -> StoreResult<LoginSessionSettings> {
        let found = self.optional(sql::SETTINGS, args![account_id]).await?;
        found.ok_or(StoreError::NotFound)
    }

    async fn update_login_session_settings(
        &self,
        account_id: Uuid,
        old: &LoginSessionSettings,
        new: &LoginSessionSettings,
        by: Uuid,
        now: DateTime<Utc>,
        origin: Option<crate::model::Origin>,
    ) -> StoreResult<bool> {
        let (_turn, mut tx) = self.begin_write().await?;
        let args = args![
            account_id,
            new.inactivity_secs,
            new.max_duration_secs,
            new.concurrent_limit,
            now,
            by,
            old.inactivity_secs,
            old.max_duration_secs,
            old.concurrent_limit,
        ];
        if DB::execute(&mut *tx, DB::UPDATE_SETTINGS, args).await? == 0 {
            let found: Option<(bool,)> =
                DB::fetch_optional(&mut *tx, sql::ACCOUNT_EXISTS, args![account_id]).await?;
            return match found {
                Some((true,)) => Ok(false),
                _ => Err(StoreError::NotFound),
            };
        }
        let event = NewAuditEvent::settings_changed(account_id, old, new, by, now, origin);
        insert_audits(&mut tx, std::slice::from_ref(&event)).await?;
        tx.commit().await?;
        self.invalidate();
        Ok(true)
    }

    async fn set_role(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        role: Role,
        now: DateTime<Utc>,
    ) -> StoreResult<Role> {
        if role == Role::Owner {
            return Err(StoreError::Conflict(
                "An account has one owner; its role does not change here".into(),
            ));
        }
        let (_turn, mut tx) = self.begin_write().await?;
        let found: Option<(Role,)> =
            DB::fetch_optional(&mut *tx, sql::MEMBERSHIP_ROLE, args![account_id, user_id]).await?;
        let old = match found {
            None => return Err(StoreError::NotFound),
            Some((Role::Owner,)) => {
                return Err(StoreError::Conflict("The owner's role does not change".into()))
            }
            Some((old,)) => old,
        };
        if old != role {
            DB::execute(&mut *tx, sql::SET_ROLE, args![account_id, user_id, role]).await?;
            let event = NewAuditEvent::role_changed(account_id, user_id, old, role, now);
            insert_audits(&mut tx, &[event]).await?;
        }
        tx.commit().await?;
        self.invalidate();
        Ok(old)
    }

    async fn list_users(
        &self,
        account_id: Uuid,
        query: &UserQuery,
        live: Liveness,
    ) -> StoreResult<UserMatches> {
        let searching = !query.search.is_empty();
        let sql = sql::list_users::<DB>(query.sort, searching);
        let mut args = args![account_id];
        if searching {
            args.extend(args![like_pattern(&query.search)]);
        }
        args.extend(args![
            query.limit,
            query.offset,
            live.idle_before,
            live.created_before
        ]);
        let rows: Vec<UserRow> = self.all(&sql, args).await?;
        Ok(user_matches(rows))
    }

    async fn members_matching(
        &self,
        account_id: Uuid,
        text: &str,
        at_most: i64,
    ) -> StoreResult<Option<Vec<Uuid>>> {
        let large = DB::PEOPLE_FIRST_IN_LARGE_ACCOUNTS
            && self
                .optional::<(i64,)>(sql::ACCOUNT_HOLDS_A_QUARTER, args![account_id])
                .await?
                .is_some_and(|(holds,)| holds == 1);
        let sql = if large {
            sql::members_matching_people_first::<DB>()
        } else {
            sql::members_matching::<DB>()
        };
        let args = args![account_id, like_pattern(text), at_most.saturating_add(1)];
        let rows: Vec<(Uuid,)> = self.all(&sql, args).await?;
        // One more than asked for says there are more.
        let few = usize::try_from(at_most).is_ok_and(|most| rows.len() <= most);
        Ok(few.then(|| rows.into_iter().map(|(id,)| id).collect()))
    }

    async fn member(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        live: Liveness,
    ) -> StoreResult<Option<UserListing>> {
        let args = args![account_id, user_id, live.idle_before, live.created_before];
        self.optional(sql::MEMBER, args).await
    }

    async fn accounts_settings(&self) -> StoreResult<Vec<(Uuid, LoginSessionSettings)>> {
        let rows: Vec<AccountSettingsRow> = self.all(sql::ALL_SETTINGS, args![]).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn count_attempts(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
        window_cut: DateTime<Utc>,
    ) -> StoreResult<Vec<Attempts>> {
        let (_turn, mut tx) = self.begin_write().await?;
        let mut counted = Vec::with_capacity(keys.len());
        for key in keys {
            let row: Option<(i64, DateTime<Utc>)> =
                DB::fetch_optional(&mut *tx, sql::COUNT_ATTEMPT, args![key, now, window_cut]).await?;
            let (count, window_started_at) = row.ok_or(StoreError::NotFound)?;
            counted.push(Attempts {
                count,
                window_started_at,
            });
        }
        tx.commit().await?;
        Ok(counted)
    }

    async fn release_attempt(&self, key: &str) -> StoreResult<()> {
        self.run(sql::RELEASE_ATTEMPT, args![key]).await?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &str) -> StoreResult<()> {
        self.run(sql::CLEAR_ATTEMPTS, args![key]).await?;
        Ok(())
    }

    async fn add_trusted_device(
        &self,
        hash: &TokenHash,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.run(sql::INSERT_DEVICE, args![hash, user_id, now])
            .await
            .map_err(|e| match e {
                StoreError::Database(db) => conflict(db),
                other => other,
            })?;
        Ok(())
    }

    async fn trusted_device_user(&self, hash: &TokenHash) -> StoreResult<Option<Uuid>> {
        let found: Option<(Uuid,)> = self.optional(sql::DEVICE_USER, args![hash]).await?;
        Ok(found.map(|(user_id,)| user_id))
    }
}
