//! The players' accounts, made over REST the way a browser signs up (the token taken from the
//! cookie registering sets), and optionally kept in a file between runs so that password
//! hashing is not what a comparison measures.

use futures::StreamExt;
use serde_json::json;
use uuid::Uuid;

use crate::{cli::Args, stats::Stats};

pub(crate) struct Player {
    pub(crate) token: String,
}

/// The `total` players of a run: those saved by earlier runs (`--accounts`), then fresh ones.
pub(crate) async fn players(
    args: &Args,
    http: &reqwest::Client,
    base: &str,
    total: usize,
    stats: &Stats,
) -> Vec<Player> {
    let run = Uuid::new_v4().simple().to_string();
    let mut players = args
        .accounts
        .as_deref()
        .map(cached_players)
        .unwrap_or_default();
    players.truncate(total);
    let reused = players.len();
    let fresh: Vec<Option<Player>> = futures::stream::iter(reused..total)
        .map(|i| account(http, base, &run, i, &args.password, stats))
        .buffered(16)
        .collect()
        .await;
    let fresh: Vec<Player> = fresh.into_iter().flatten().collect();
    if let Some(path) = &args.accounts {
        save_players(path, &fresh);
    }
    if reused > 0 {
        eprintln!("reused {reused} accounts from earlier runs");
    }
    players.extend(fresh);
    players
}

async fn account(
    http: &reqwest::Client,
    base: &str,
    run: &str,
    i: usize,
    password: &str,
    stats: &Stats,
) -> Option<Player> {
    let email = format!("lg-{run}-{i}@example.com");
    let body = json!({"email": email, "password": password, "display_name": format!("p{i}")});
    let res = http
        .post(format!("{base}/api/auth/register"))
        .json(&body)
        .send()
        .await;
    if !res.as_ref().is_ok_and(|r| r.status().is_success()) {
        stats.error(format!("register: {:?}", res.map(|r| r.status())));
        return None;
    }
    // A browser is signed in by the cookie that registering sets: take the token from it
    // rather than paying a second password hash for a login.
    let res = res.ok()?;
    let token = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("access_token="))
        .and_then(|c| c.split(';').next())
        .filter(|t| !t.is_empty())?
        .to_string();
    Some(Player { token })
}

/// Tokens younger than this are reused (the server's default lifetime is 24 h).
const TOKEN_REUSE_SECS: u64 = 20 * 3600;

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Players saved by earlier runs (`<unix time> <token>` per line), still fresh.
fn cached_players(path: &std::path::Path) -> Vec<Player> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(at, _)| {
            at.parse::<u64>()
                .is_ok_and(|at| now_secs().saturating_sub(at) < TOKEN_REUSE_SECS)
        })
        .map(|(_, token)| Player {
            token: token.to_string(),
        })
        .collect()
}

fn save_players(path: &std::path::Path, players: &[Player]) {
    use std::io::Write;
    let now = now_secs();
    let lines: String = players
        .iter()
        .map(|p| format!("{now} {}\n", p.token))
        .collect();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(lines.as_bytes()));
    if let Err(e) = written {
        eprintln!("could not save accounts to {}: {e}", path.display());
    }
}
