//! Fresh, migrated stores for tests: a temporary SQLite file by default, or a new
//! database on the Postgres server named by `TEST_POSTGRES_URL` (the test script
//! starts a throwaway server and sets it). The same test bodies run on both.

use super::{connect, DynStore};
use sqlx::{Connection, PgConnection};
use std::ops::Deref;
use std::path::PathBuf;
use uuid::Uuid;

/// A test's store. Dropping it deletes the SQLite file (and its WAL and shared-memory
/// files), so test runs do not pile databases up in the temp folder; a Postgres test
/// database goes away with the throwaway server.
pub struct TestStore {
    store: DynStore,
    sqlite_file: Option<PathBuf>,
}

impl Deref for TestStore {
    type Target = DynStore;
    fn deref(&self) -> &DynStore {
        &self.store
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            // Open connections keep an unlinked file readable until they close.
            for suffix in ["", "-wal", "-shm"] {
                let mut path = file.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

pub async fn fresh_store() -> TestStore {
    let name = format!("sc_test_{}", Uuid::new_v4().simple());
    let (url, sqlite_file) = match std::env::var("TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            let mut admin = PgConnection::connect(&base)
                .await
                .expect("connect to the test Postgres server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .expect("create a test database");
            admin.close().await.ok();
            let (server, _) = base
                .rsplit_once('/')
                .expect("TEST_POSTGRES_URL ends with /DATABASE");
            (format!("{server}/{name}"), None)
        }
        _ => {
            let file = std::env::temp_dir().join(format!("{name}.db"));
            (format!("sqlite:{}", file.display()), Some(file))
        }
    };
    let store = connect(&url).await.expect("open the test store");
    let store = TestStore { store, sqlite_file };
    store.migrate().await.expect("migrate the test store");
    store
}
