//! The `pos` binary as an operator runs it: it says which database it
//! uses, refuses to make a second one in the wrong folder, reports the
//! migrations it applied, and logs where it serves, on either backend
//! (`POS_DATABASE_URL` chooses, as for the rest of the suite).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn pos(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pos"));
    command.current_dir(dir).env("POS_LOG", "info");
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn commands_in_a_folder_without_the_database_refuse_and_say_where_they_looked() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["tenant", "create", "Acme"],
        vec![
            "token",
            "--tenant",
            "01a21c6d-6cfc-776c-90bd-24dd44c7b4a8",
            "--sub",
            "a",
            "--role",
            "OWNER",
        ],
    ] {
        let out = pos(dir.path())
            .args(&args)
            .env_remove("POS_DATABASE_URL")
            .env_remove("POS_MIGRATE_DATABASE_URL")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("no database at"), "{args:?}: {err}");
        assert!(err.contains("pos.db"), "{err}");
        assert!(
            !dir.path().join("pos.db").exists(),
            "{args:?} made a database"
        );
    }
}

#[test]
fn migrate_up_reports_what_it_applied_and_the_token_command_checks_the_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = |c: &mut Command| {
        c.env_remove("POS_DATABASE_URL")
            .env_remove("POS_MIGRATE_DATABASE_URL");
    };
    let mut up = pos(dir.path());
    sqlite(&mut up);
    let out = up.args(["migrate", "up"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("applied "), "{stdout}");
    assert!(stdout.contains("m20261127_000001_tenancy"), "{stdout}");
    assert!(
        text(&out.stderr).contains("database: SQLite "),
        "{}",
        text(&out.stderr)
    );
    let mut again = pos(dir.path());
    sqlite(&mut again);
    let out = again.args(["migrate", "up"]).output().unwrap();
    assert!(
        text(&out.stdout).starts_with("applied 0 migrations"),
        "{}",
        text(&out.stdout)
    );

    let mut token = pos(dir.path());
    sqlite(&mut token);
    let out = token
        .args(["token", "--tenant", "01a21c6d-6cfc-776c-90bd-24dd44c7b4a8"])
        .args(["--sub", "alice", "--role", "OWNER"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no tenant 01a21c6d"),
        "{}",
        text(&out.stderr)
    );
}

/// On PostgreSQL the driver runs statements on the caller's thread, which
/// once swallowed the next log line: the one that says where it serves.
#[test]
fn the_server_says_where_it_serves_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = pos(dir.path())
        .arg("serve")
        .env("POS_LISTEN", "127.0.0.1:0")
        .env("POS_LOG_FORMAT", "json")
        .env_remove("POS_METRICS_LISTEN")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let serving = loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains("serving; GraphiQL at /") => break Some(line),
            Ok(line) => seen.push(line),
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let line =
        serving.unwrap_or_else(|| panic!("no serving line; the log was:\n{}", seen.join("\n")));
    assert!(line.contains("\"address\":\"127.0.0.1:"), "{line}");
}
