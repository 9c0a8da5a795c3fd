//! Fresh, migrated stores for tests: a temporary SQLite file by default, or a new
//! database on the Postgres server named by `TEST_POSTGRES_URL` (the test script
//! starts a throwaway server and sets it). The same test bodies run on both.

use super::{connect, DynStore};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

pub async fn fresh_store() -> DynStore {
    let name = format!("sc_test_{}", Uuid::new_v4().simple());
    let url = match std::env::var("TEST_POSTGRES_URL") {
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
            format!("{server}/{name}")
        }
        _ => format!(
            "sqlite:{}",
            std::env::temp_dir().join(format!("{name}.db")).display()
        ),
    };
    let store = connect(&url).await.expect("open the test store");
    store.migrate().await.expect("migrate the test store");
    store
}
