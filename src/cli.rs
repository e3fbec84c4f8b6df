//! The `pos` subcommands.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use chrono::Utc;
use migration::{MigrationStatus, Migrator, MigratorTrait};
use sea_orm::Set;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::auth::{Keys, Session};
use crate::config::{Cli, Command, Config, MigrateAction, TenantAction, TokenArgs};
use crate::org::terminals;
use crate::startup::{Application, BoxError, migrate_up, pool_options};
use crate::tenancy::Db;
use entity::terminal::TerminalStatus;

pub async fn run(cli: Cli) -> Result<(), BoxError> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
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
            let s = crate::seed::seed(&config, &args).await?;
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

async fn migrate(config: &Config, action: MigrateAction) -> Result<(), BoxError> {
    let db = Db::connect(
        config.migrate_url(),
        &crate::startup::migration_pool_options(),
    )
    .await?;
    // Operator command: migrations run on the bare pool.
    let conn = db.operator().raw_connection();
    match action {
        MigrateAction::Up => Migrator::up(conn, None).await?,
        MigrateAction::Down { steps } => Migrator::down(conn, Some(steps)).await?,
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
/// terminal and its location (the terminal must exist and be active).
pub async fn mint_token(config: &Config, args: TokenArgs) -> Result<String, BoxError> {
    let keys = Keys::from_config(config)?;
    let Some(terminal_id) = args.terminal else {
        if args.roles.is_empty() {
            return Err("give at least one --role, or --terminal for a device token".into());
        }
        return Ok(keys
            .sign(args.tenant, &args.sub, args.roles, None, args.ttl)?
            .0);
    };
    let db = Db::connect(&config.database_url, &pool_options(config)).await?;
    let session = Session {
        tenant: args.tenant,
        subject: args.sub.clone(),
        roles: args.roles.clone(),
        terminal: None,
        location: None,
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
