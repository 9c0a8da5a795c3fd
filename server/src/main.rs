use anyhow::Context;
use app::ssr::{Clock, SecurityConfig, SystemClock};
use app::store;
use clap::Parser;
use server::config::{Cli, Command, Config};
use server::{admin, demo};
use std::process::ExitCode;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// Keeps resident memory flat. Argon2 allocates ~19 MB per hash; glibc would otherwise
/// keep such blocks in per-thread arenas after they are freed (tens of arenas on a busy
/// server). Large blocks go straight back to the kernel, and arenas stay few.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only adjusts glibc's allocator parameters; it is called before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        // A page of a list passes through buffers of tens to hundreds of kilobytes. With glibc's
        // 128 KB default, freeing them gave the top of the heap back to the kernel after
        // each request, and the next one faulted it in again (a fifth of a sessions
        // list's CPU). Keeping up to 1 MB per arena costs at most 2 MB.
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(start()),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn start() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    app::ssr::crypto::set_password_threads(usize::from(config.password_threads));
    store::set_acquire_timeout(std::time::Duration::from_secs(config.db_acquire_timeout_secs));
    store::set_pool_size(config.db_pool_size);
    let store = connect_with_retries(&config.database_url, config.db_connect_timeout_secs).await?;
    store.migrate().await.context("cannot migrate the database")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(config, store, clock, demo).await,
        Command::Migrate => {
            println!("migrations applied ({})", store.backend());
            Ok(())
        }
        Command::CreateAccount {
            name,
            owner_email,
            owner_name,
        } => {
            let password = admin::read_password().await?;
            let done =
                admin::create_account(&*store, &*clock, &name, &owner_email, &owner_name, password).await?;
            println!("{done}");
            Ok(())
        }
        Command::AddUser {
            account,
            email,
            name,
            role,
        } => {
            let password = || async {
                admin::read_password().await.map_err(|_| {
                    app::AppError::invalid("password", "cannot read the password from standard input")
                })
            };
            let done =
                admin::add_user(&*store, &*clock, &account, &email, &name, role.into(), password).await?;
            println!("{done}");
            Ok(())
        }
        Command::SetRole { account, email, role } => {
            let done = admin::set_role(&*store, &*clock, &account, &email, role.into()).await?;
            println!("{done}");
            Ok(())
        }
    }
}

async fn serve(
    config: Config,
    store: store::DynStore,
    clock: Arc<dyn Clock>,
    demo: bool,
) -> anyhow::Result<()> {
    if demo {
        if let Some(credentials) = demo::seed_if_empty(&*store, &*clock, &config.listen.to_string()).await? {
            println!("{credentials}");
        }
    }
    let security = SecurityConfig {
        secure_cookies: config.secure_cookies,
        trusted_proxy_header: config.trusted_proxy_header.clone(),
        reauthenticate_after: chrono::Duration::seconds(i64::from(config.reauthenticate_after_secs)),
    };
    let state = server::app_state(store, clock, security, &config.site_root, config.listen);
    let flush_every = std::time::Duration::from_secs(u64::from(config.activity_flush_secs));
    state
        .activity
        .set_interval(chrono::Duration::seconds(i64::from(config.activity_flush_secs)));
    tokio::spawn(flush_activity_forever(state.clone(), flush_every));
    let retention = app::service::sweep::Retention {
        sessions: chrono::Duration::days(i64::from(config.session_retention_days)),
        audit: chrono::Duration::days(i64::from(config.audit_retention_days.max(1))),
    };
    tokio::spawn(sweep_forever(
        state.clone(),
        retention,
        config.sweep_interval_secs,
    ));
    let app = server::router(state.clone());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!("Session Console listening on http://{}", config.listen);
    let limits = server::serve::Limits {
        header_read_timeout: std::time::Duration::from_secs(config.header_read_timeout_secs),
        body_timeout: std::time::Duration::from_secs(config.body_timeout_secs),
        max_connections: config.max_connections,
        shutdown_grace: std::time::Duration::from_secs(config.shutdown_grace_secs),
    };
    // Event streams never finish on their own: end them as shutdown begins, so their
    // connections drain within the grace period like any other.
    let streams = state.streams.clone();
    let shutdown = async move {
        shutdown_signal().await;
        streams.close_all();
    };
    server::serve::serve(listener, app, limits, shutdown).await?;
    // What the last requests did is written before the process goes.
    if let Err(e) = app::service::activity::flush(&state).await {
        tracing::warn!(error = %e, "cannot write the last session activity");
    }
    Ok(())
}

/// Writes the session activity this process saw, one transaction per interval.
async fn flush_activity_forever(state: app::ssr::AppState, period: std::time::Duration) {
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = app::service::activity::flush(&state).await {
            tracing::warn!(error = %e, pending = state.activity.pending(), "session activity not written yet; retrying");
        }
    }
}

/// Records sessions that expired unnoticed and deletes long-ended ones and old audit
/// events, every few minutes. Every process may run it: each step is idempotent.
async fn sweep_forever(
    state: app::ssr::AppState,
    retention: app::service::sweep::Retention,
    interval_secs: u64,
) {
    let period = std::time::Duration::from_secs(interval_secs.max(10));
    // The first run waits one period, so a start-up is not slowed by it.
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        every.tick().await;
        match app::service::sweep::sweep(&state, retention, 10_000).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(changed = n, "session sweep"),
            Err(e) => tracing::warn!(error = %e, "session sweep failed"),
        }
    }
}

/// Keeps passwords in a database URL out of error messages.
/// Opens the database, waiting for it while it is not reachable yet (a database server
/// that starts with the console, say): each attempt is logged once, with growing pauses,
/// until `timeout_secs` have passed; then one line names where it tried, never the password.
async fn connect_with_retries(url: &str, timeout_secs: u64) -> anyhow::Result<store::DynStore> {
    let started = std::time::Instant::now();
    let deadline = std::time::Duration::from_secs(timeout_secs);
    let mut pause = std::time::Duration::from_millis(250);
    for attempt in 1.. {
        match store::connect(url).await {
            Ok(store) => {
                if attempt > 1 {
                    tracing::info!(attempt, "the database is reachable");
                }
                return Ok(store);
            }
            Err(e) if is_unreachable(&e) && started.elapsed() + pause < deadline => {
                tracing::warn!(attempt, database = %redact(url), "the database is not reachable yet; retrying in {pause:?}");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
            Err(e) if is_unreachable(&e) => {
                anyhow::bail!(
                    "cannot reach the database {} within {timeout_secs} s",
                    redact(url)
                )
            }
            Err(e) => anyhow::bail!("cannot open the database {}: {e}", redact(url)),
        }
    }
    anyhow::bail!("cannot reach the database {}", redact(url))
}

/// Errors that may go away by waiting: nothing answers yet, or the pool timed out.
fn is_unreachable(e: &store::StoreError) -> bool {
    matches!(e, store::StoreError::Unavailable(_))
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
