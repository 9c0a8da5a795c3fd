//! Command line and environment configuration. Every flag has an environment fallback.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;

#[derive(Debug, Parser)]
#[command(
    name = "session-console",
    version,
    about = "Session Console: watch and end login sessions"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address and port the console listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:3000", global = true)]
    pub listen: SocketAddr,

    /// The database: `sqlite:PATH` (the file and its folder are created) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:data/session-console.db",
        global = true
    )]
    pub database_url: String,

    /// Seconds to keep trying to reach the database at start-up before giving up.
    #[arg(long, env = "DB_CONNECT_TIMEOUT_SECS", default_value_t = 60, global = true)]
    pub db_connect_timeout_secs: u64,

    /// Seconds a request waits for a database connection before it is answered 503.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 5, global = true)]
    pub db_acquire_timeout_secs: u64,

    /// Connections this process opens to Postgres at most (1–1000). Across all nodes,
    /// nodes × this must stay under the server's `max_connections`. SQLite ignores it.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 16, global = true,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_pool_size: u32,

    /// Serve cookies with `Secure` and the `__Host-` name prefix. Turn on whenever the
    /// console is reached over HTTPS; leave off only for http://127.0.0.1.
    #[arg(long, env = "SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,

    /// Header a trusted reverse proxy sets to the client address (e.g. `x-forwarded-for`).
    /// Unset: the socket's peer address is used and such headers are ignored.
    #[arg(long, env = "TRUSTED_PROXY_HEADER", global = true)]
    pub trusted_proxy_header: Option<String>,

    /// Seconds after sign-in during which a session may end many sessions or change the
    /// account's limits without entering its password again (0: always ask).
    #[arg(long, env = "REAUTHENTICATE_AFTER_SECS", default_value_t = 900, global = true)]
    pub reauthenticate_after_secs: u32,

    /// Seconds a client has to send a request's headers (and to start the next request
    /// on a kept-alive connection) before the connection is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 10, global = true)]
    pub header_read_timeout_secs: u64,

    /// Seconds a client has to send a request's body.
    #[arg(long, env = "BODY_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub body_timeout_secs: u64,

    /// Connections open at most; further clients wait to be accepted.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024, global = true)]
    pub max_connections: usize,

    /// Seconds a shutdown waits for requests in flight before closing what is left.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 10, global = true)]
    pub shutdown_grace_secs: u64,

    /// Log filter in `tracing` syntax, e.g. `info` or `info,sqlx=warn`.
    #[arg(long, env = "LOG_LEVEL", default_value = "info,sqlx=warn", global = true)]
    pub log_level: String,

    /// Days an ended session stays listed (under Ended) before the sweep deletes it.
    #[arg(long, env = "SESSION_RETENTION_DAYS", default_value_t = 30, global = true)]
    pub session_retention_days: u32,

    /// Days an audit event is kept before the sweep deletes it (at least 1).
    #[arg(long, env = "AUDIT_RETENTION_DAYS", default_value_t = 365, global = true,
          value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub audit_retention_days: u32,

    /// Seconds between runs of the sweep that records unnoticed expiries and deletes old sessions.
    #[arg(long, env = "SWEEP_INTERVAL_SECS", default_value_t = 300, global = true)]
    pub sweep_interval_secs: u64,

    /// Seconds between batched writes of session activity (last-active times). A crash
    /// loses at most this much activity, never an end; activity close to an account's
    /// inactivity limit is written at once whatever this says.
    #[arg(long, env = "ACTIVITY_FLUSH_SECS", default_value_t = 5, global = true,
          value_parser = clap::value_parser!(u32).range(1..=60))]
    pub activity_flush_secs: u32,

    /// Threads that hash and verify passwords, each holding a 19 MiB Argon2 block. One
    /// verifies about 45 sign-ins a second on a 2-core machine and leaves the other cores
    /// to the session check during a burst of sign-ins; each more adds throughput and
    /// 19 MiB of memory.
    #[arg(long, env = "PASSWORD_THREADS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64), global = true)]
    pub password_threads: u16,

    /// Folder with the built site: `pkg/` (wasm, JavaScript, CSS) and the public assets.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site", global = true)]
    pub site_root: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console (the default).
    Serve {
        /// On an empty database, create a demo account and print its sign-in details once.
        #[arg(long, env = "DEMO")]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Create an account and its owner. Reads the owner's password from standard input.
    CreateAccount {
        /// The account's name (unique).
        #[arg(long)]
        name: String,
        /// The owner's email address, used to sign in.
        #[arg(long)]
        owner_email: String,
        /// The owner's display name.
        #[arg(long)]
        owner_name: String,
    },
    /// Add a person to an account with a role. A new person's password is read from
    /// standard input; a person who already has an identity keeps their password.
    AddUser {
        /// The account's name.
        #[arg(long)]
        account: String,
        /// Email address, used to sign in.
        #[arg(long)]
        email: String,
        /// Display name (for a new person).
        #[arg(long)]
        name: String,
        /// The person's role in the account.
        #[arg(long, value_enum, default_value_t = RoleArg::Member)]
        role: RoleArg,
    },
    /// Change a member's role between administrator and member (recorded in the audit log).
    SetRole {
        /// The account's name.
        #[arg(long)]
        account: String,
        /// The member's email address.
        #[arg(long)]
        email: String,
        /// The new role: administrator or member.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}

/// `--role` on the command line; the domain's `Role` knows nothing of clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    Owner,
    #[value(alias = "admin")]
    Administrator,
    Member,
}

impl From<RoleArg> for app::domain::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Owner => app::domain::Role::Owner,
            RoleArg::Administrator => app::domain::Role::Administrator,
            RoleArg::Member => app::domain::Role::Member,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_threads_default_to_one_and_refuse_zero() {
        let cli = Cli::try_parse_from(["session-console"]).expect("defaults parse");
        assert_eq!(cli.config.password_threads, 1);
        let cli = Cli::try_parse_from(["session-console", "--password-threads", "2"]).expect("parses");
        assert_eq!(cli.config.password_threads, 2);
        let refused = Cli::try_parse_from(["session-console", "--password-threads", "0"]);
        assert!(refused.is_err(), "zero threads would hang every sign-in");
    }

    #[test]
    fn audit_retention_defaults_to_a_year_and_refuses_zero() {
        let cli = Cli::try_parse_from(["session-console"]).expect("defaults parse");
        assert_eq!(cli.config.audit_retention_days, 365);
        let cli = Cli::try_parse_from(["session-console", "--audit-retention-days", "1"]).expect("parses");
        assert_eq!(cli.config.audit_retention_days, 1);
        assert!(Cli::try_parse_from(["session-console", "--audit-retention-days", "0"]).is_err());
    }
}
