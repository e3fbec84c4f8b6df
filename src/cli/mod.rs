//! The `pos` subcommands.

mod args;
pub mod seed;

pub use args::{Cli, Command, MigrateAction, SeedArgs, TenantAction, TokenArgs};

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use chrono::Utc;
use migration::{MigrationStatus, Migrator, MigratorTrait};
use sea_orm::Set;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::auth::{Keys, Session};
use crate::config::Config;
use crate::org::terminals;
use crate::startup::{Application, BoxError, migrate_up, pool_options};
use crate::tenancy::Db;
use entity::terminal::TerminalStatus;

/// The `pos` binary, whole: parse the command line, start the runtime and
/// logging, run the command. It lives in the library, not in `main.rs`, so
/// that the server's futures are compiled once: a binary that polled
/// [`run`]'s future itself would compile that whole tree a second time
/// (about two and a half minutes of a release build on two cores).
pub fn main() -> std::process::ExitCode {
    let cli = <Cli as clap::Parser>::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Inside the runtime: an OTLP exporter runs as a task on it.
    let telemetry = {
        let _entered = runtime.enter();
        match crate::telemetry::init(cli.config.log_format) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::FAILURE;
            }
        }
    };
    let outcome = runtime.block_on(run(cli));
    runtime.block_on(telemetry.shutdown());
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", crate::error::describe(e.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), BoxError> {
    let config = cli.config;
    let command = cli.command.unwrap_or(Command::Serve);
    announce_database(&config, &command)?;
    match command {
        Command::Serve => {
            Application::build(config)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Migrate { action } => migrate(&config, action).await?,
        Command::PrintSchema => print(&crate::graphql::sdl())?,
        Command::Tenant {
            action: TenantAction::Create { name, currency },
        } => {
            let id = create_tenant(&config, &name, &currency).await?;
            print(&format!("{id}\n"))?;
        }
        Command::Token(args) => print(&format!("{}\n", mint_token(&config, args).await?))?,
        Command::Healthcheck => healthcheck(config.listen).await?,
        Command::Seed(args) => {
            let s = seed::seed(&config, &args).await?;
            print(&format!(
                "{}\n{} sales, {} lines, {} refunds, {} voids: {} events pushed in {:.0} s ({:.0} events/s); {:.0} s in all\n",
                s.tenant,
                s.sales,
                s.lines,
                s.refunds,
                s.voids,
                s.events,
                s.push_seconds,
                s.events as f64 / s.push_seconds.max(1e-9),
                s.total_seconds
            ))?;
        }
        Command::Reconcile { tenant, from, to } => {
            let db = Db::connect(&config.database_url, &pool_options(&config)).await?;
            let session = Session {
                tenant,
                subject: "cli:reconcile".into(),
                roles: vec![crate::auth::Role::Owner],
                terminal: None,
                location: None,
            };
            let outcome = crate::reporting::reconcile::reconcile(&session, &db, from, to).await?;
            let mut text = format!(
                "{} cells checked from {} to {}, {} differences\n",
                outcome.cells,
                outcome.from,
                outcome.to,
                outcome.differences.len()
            );
            for d in &outcome.differences {
                text.push_str(&format!(
                    "{} {} {}: stored {} expected {}\n",
                    d.table, d.key, d.field, d.stored, d.expected
                ));
            }
            print(&text)?;
            if !outcome.differences.is_empty() {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}

fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Commands that work on stored data say which database they use (on
/// stderr: stdout is the answer), and refuse a SQLite file that does not
/// exist rather than make a second, empty one in the wrong folder.
fn announce_database(config: &Config, command: &Command) -> Result<(), BoxError> {
    match command {
        Command::Tenant { .. } | Command::Token(_) | Command::Reconcile { .. } => {
            require_existing(&config.database_url)?;
            eprintln!("database: {}", database_label(&config.database_url));
        }
        Command::Migrate { .. } => {
            eprintln!("database: {}", database_label(config.migrate_url()));
        }
        // Seeding may start a new database: it migrates one first.
        Command::Seed(_) => eprintln!("database: {}", database_label(&config.database_url)),
        Command::Serve | Command::PrintSchema | Command::Healthcheck => {}
    }
    Ok(())
}

async fn migrate(config: &Config, action: MigrateAction) -> Result<(), BoxError> {
    let db = Db::connect(
        config.migrate_url(),
        &crate::startup::migration_pool_options(),
    )
    .await?;
    // Operator command: migrations run on the bare pool.
    let conn = db.operator().raw_connection();
    match action {
        MigrateAction::Up => {
            let before = applied(Migrator::get_migration_with_status(conn).await?);
            Migrator::up(conn, None).await?;
            let after = applied(Migrator::get_migration_with_status(conn).await?);
            let new: Vec<&String> = after.iter().filter(|m| !before.contains(m)).collect();
            let mut text = format!(
                "applied {} migration{}; {} in all\n",
                new.len(),
                if new.len() == 1 { "" } else { "s" },
                after.len()
            );
            for name in new {
                text.push_str(&format!("applied  {name}\n"));
            }
            print(&text)?;
        }
        MigrateAction::Down { steps } => {
            let before = applied(Migrator::get_migration_with_status(conn).await?);
            Migrator::down(conn, Some(steps)).await?;
            let after = applied(Migrator::get_migration_with_status(conn).await?);
            let mut text = String::new();
            for name in before.iter().rev().filter(|m| !after.contains(m)) {
                text.push_str(&format!("rolled back  {name}\n"));
            }
            text.push_str(&format!("{} migrations applied now\n", after.len()));
            print(&text)?;
        }
        MigrateAction::Status => {
            let mut lines = String::new();
            for m in Migrator::get_migration_with_status(conn).await? {
                let status = match m.status() {
                    MigrationStatus::Applied => "applied",
                    MigrationStatus::Pending => "pending",
                };
                lines.push_str(&format!("{status:8} {}\n", m.name()));
            }
            print(&lines)?;
        }
    }
    Ok(())
}

/// The names of the applied migrations, oldest first.
fn applied(all: Vec<migration::Migration>) -> Vec<String> {
    all.iter()
        .filter(|m| matches!(m.status(), MigrationStatus::Applied))
        .map(|m| m.name().to_owned())
        .collect()
}

/// Creates a tenant and returns its id. Runs through the tenant scope like
/// everything else: the new id is set as the transaction's tenant, so RLS
/// admits exactly this row.
pub async fn create_tenant(config: &Config, name: &str, currency: &str) -> Result<Uuid, BoxError> {
    let name = crate::validate::text("name", name, 200)?;
    let currency = crate::validate::currency("currency", currency)?;
    if config.migrate_on_start {
        migrate_up(config).await?;
    }
    let db = Db::connect(&config.database_url, &pool_options(config)).await?;
    let id = Uuid::now_v7();
    // Operator command: no session carries a tenant that does not exist yet.
    let tx = db.operator().write_for_tenant(id).await?;
    tx.insert(entity::tenant::ActiveModel {
        id: Set(id),
        name: Set(name),
        currency: Set(currency.code().to_owned()),
        rounding_mode: Set("HALF_EVEN".to_owned()),
        rounding_level: Set("LINE".to_owned()),
        created_at: Set(Utc::now()),
    })
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Mints a staff token, or with `--terminal` a device token bound to that
/// terminal and its location. The tenant must exist, and the terminal must
/// exist and be active: a token for either that does not would be refused
/// on its first request.
pub async fn mint_token(config: &Config, args: TokenArgs) -> Result<String, BoxError> {
    let keys = Keys::from_config(config)?;
    if args.terminal.is_none() && args.roles.is_empty() {
        return Err("give at least one --role, or --terminal for a device token".into());
    }
    let db = Db::connect(&config.database_url, &pool_options(config)).await?;
    let session = Session {
        tenant: args.tenant,
        subject: args.sub.clone(),
        roles: args.roles.clone(),
        terminal: None,
        location: None,
    };
    // Only a tenant that is not there is refused as missing; a database
    // that cannot be read says so.
    match crate::org::tenant::get(&session, &db).await {
        Ok(_) => {}
        Err(crate::error::AppError::NotFound { .. }) => {
            return Err(format!(
                "no tenant {} in {}: create one with `pos tenant create`, in the same folder or with the same POS_DATABASE_URL as the server",
                args.tenant,
                database_label(&config.database_url)
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    let Some(terminal_id) = args.terminal else {
        return Ok(keys
            .sign(args.tenant, &args.sub, args.roles, None, args.ttl)?
            .0);
    };
    let terminal = terminals::get(&session, &db, terminal_id)
        .await?
        .filter(|t| t.status == TerminalStatus::Active)
        .ok_or("no active terminal with that id in that tenant")?;
    let bound = Some((terminal.id, terminal.location_id));
    Ok(keys
        .sign(args.tenant, &args.sub, Vec::new(), bound, args.ttl)?
        .0)
}

/// GET /healthz on the configured address; for container health checks,
/// where no HTTP client is installed.
async fn healthcheck(listen: SocketAddr) -> Result<(), BoxError> {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(3), probe)
        .await
        .map_err(|_| "health check timed out")??;
    if response.starts_with(b"HTTP/1.1 200") {
        Ok(())
    } else {
        Err("health check failed".into())
    }
}

/// The database `url` names, for people: a SQLite file's full path, or a
/// PostgreSQL URL without its password.
pub fn database_label(url: &str) -> String {
    if let Some(path) = sqlite_file(url) {
        let full = std::path::absolute(&path).unwrap_or(path);
        return format!("SQLite {}", full.display());
    }
    if url.starts_with("sqlite") {
        return "SQLite in memory".to_owned();
    }
    // postgres://user:password@host/db -> postgres://user@host/db
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// The file of a SQLite URL (`sqlite://pos.db?mode=rwc`), unless it is in
/// memory.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, options) = rest.split_once('?').unwrap_or((rest, ""));
    let memory = path.is_empty() || path == ":memory:" || options.contains("mode=memory");
    (!memory).then(|| std::path::PathBuf::from(path))
}

/// Refuses a SQLite file that does not exist: the server makes it where it
/// runs, and a command run from another folder would make a second, empty
/// database beside the real one.
fn require_existing(url: &str) -> Result<(), BoxError> {
    match sqlite_file(url) {
        Some(path) if !path.exists() => Err(format!(
            "no database at {}: run this in the folder where the server runs (it makes pos.db there), or set POS_DATABASE_URL to the server's; `pos migrate up` makes a new one",
            std::path::absolute(&path).unwrap_or(path).display()
        )
        .into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_labels_name_the_file_or_the_server_without_secrets() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(
            database_label("sqlite://pos.db?mode=rwc"),
            format!("SQLite {}", here.join("pos.db").display())
        );
        assert_eq!(database_label("sqlite::memory:"), "SQLite in memory");
        assert_eq!(
            database_label("postgres://pos_app:s3cret@db:5432/pos"),
            "postgres://pos_app@db:5432/pos"
        );
        assert_eq!(
            database_label("postgres://pos_app@127.0.0.1/test"),
            "postgres://pos_app@127.0.0.1/test"
        );
    }

    #[test]
    fn a_missing_sqlite_file_is_refused_and_memory_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = format!("sqlite://{}/pos.db?mode=rwc", dir.path().display());
        let err = require_existing(&missing).unwrap_err().to_string();
        assert!(err.contains("no database at"), "{err}");
        assert!(require_existing("sqlite::memory:").is_ok());
        assert!(require_existing("postgres://x@y/z").is_ok());
        std::fs::write(dir.path().join("pos.db"), b"").unwrap();
        assert!(require_existing(&missing).is_ok());
    }
}
