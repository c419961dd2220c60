//! Typed configuration read once from the environment (and `.env` when present), so every
//! other module receives plain values and nothing else reads env vars. It is the bottom of the
//! crate's graph: it imports nothing of the crate, and defines plain settings types (limits,
//! trusted proxies, the OpenAI endpoint) from which other modules build their runtime objects.

mod fanout;
mod proxies;
mod redis_target;

pub use fanout::Fanout;
pub use proxies::TrustedProxies;
pub use redis_target::RedisTarget;

use std::{
    env,
    net::{IpAddr, SocketAddr},
    time::Duration,
};

/// Used in development and test when `JWT_SECRET` is unset, so a developer needs to set nothing.
/// It is printed here, so it can never sign a deployment's tokens.
pub const DEV_JWT_SECRET: &str = "dev-only-insecure-secret-change-me-in-production!!";
/// HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2).
const MIN_SECRET_BYTES: usize = 32;
/// A metrics token anyone could guess would protect nothing.
const MIN_METRICS_TOKEN_BYTES: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not valid: {1}")]
    Invalid(&'static str, String),
    #[error(
        "JWT_SECRET must be set to at least {MIN_SECRET_BYTES} random bytes when APP_ENV=production"
    )]
    WeakSecret,
    #[error(
        "APP_ENV must be development, test or production (got {0:?}); an unknown environment \
         would sign tokens with the public development secret"
    )]
    UnknownEnv(String),
}

/// Where the server runs. Unset means development (a developer needs to set nothing); any value
/// other than these three refuses to start, so a typo (`prod`, `staging`) can never fall back
/// to the development secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

impl AppEnv {
    fn parse(value: Option<&str>) -> Result<Self, ConfigError> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("development") => Ok(AppEnv::Development),
            Some("test") => Ok(AppEnv::Test),
            Some("production") => Ok(AppEnv::Production),
            Some(_) => Err(ConfigError::UnknownEnv(
                value.unwrap_or_default().to_string(),
            )),
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub env: AppEnv,
    /// True when `JWT_SECRET` was unset and the public development secret signs the tokens
    /// (development and test only); logged loudly at start-up.
    pub dev_secret: bool,
    pub database_url: String,
    /// `DATABASE_READ_URL`: a streaming replica for lists, search, trending, others' profiles,
    /// site stats and categories (`db::reads`); unset, they read the primary.
    pub database_read_url: Option<String>,
    /// `memory`, one server's URL, or a cluster's `redis+cluster://…` (see `RedisTarget`).
    pub redis_url: String,
    /// Prefix of every Redis key and channel, so deployments and tests can share one Redis.
    pub redis_prefix: String,
    /// `REDIS_FANOUT`: how a broadcast to a room reaches the other nodes (`gateway::fanout`).
    pub redis_fanout: Fanout,
    pub jwt_secret: String,
    pub jwt_ttl: Duration,
    /// How long a guest's session lasts (`GUEST_SESSION_SECONDS`): a party's length, not an
    /// account's.
    pub guest_ttl: Duration,
    /// Guests who joined longer ago than this, have no live session and left nothing behind
    /// (no room, answer or audience seat) are deleted (`GUEST_RETENTION_DAYS`).
    pub guest_retention: Duration,
    pub host: IpAddr,
    pub port: u16,
    pub allowed_origins: Vec<String>,
    pub cookie_secure: bool,
    pub openai: Option<OpenAiSettings>,
    pub log_json: bool,
    pub limits: LimitSettings,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// How long a disconnected host keeps the room before it passes to someone present.
    pub host_grace: Duration,
    /// How often each node looks for phases past their deadline (`DEADLINE_POLL_MS`); late
    /// answers and votes are refused by the deadline itself, so this only bounds how late the
    /// room moves on (the contract allows 500 ms).
    pub deadline_poll: Duration,
    /// How long a node's presence entries outlive its last heartbeat
    /// (`PRESENCE_LEASE_SECONDS`): after a crash, its players count as gone (and its hosts'
    /// grace period starts from that heartbeat) once this has passed.
    pub presence_lease: Duration,
    /// Accounts (by email, any case) that may add poll categories and delete any poll.
    pub admin_emails: Vec<String>,
    /// `METRICS_TOKEN`: when set, `/metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// `METRICS_ADDR`: when set, `/metrics` is served on a listener of its own there, and not
    /// on the public port. With neither this nor a token, the public port serves the metrics
    /// to loopback clients only (`http::metrics`).
    pub metrics_addr: Option<SocketAddr>,
    /// Webhook deliveries (`WEBHOOK_*`).
    pub webhooks: WebhookSettings,
}

/// How webhooks are delivered.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// `WEBHOOK_ALLOW_PRIVATE`: URLs that resolve to loopback, private, link-local or
    /// unique-local addresses are allowed (local development and tests only: otherwise a
    /// webhook could reach the server's own network).
    pub allow_private: bool,
    /// `WEBHOOK_RETRY_BASE_MS`: the wait after a first failed attempt; it doubles with each
    /// further one (with jitter) up to `WEBHOOK_RETRY_MAX_SECONDS`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// `WEBHOOK_MAX_AGE_SECONDS`: a delivery still failing this long after its event is given
    /// up (marked failed), and the webhook's next one is sent.
    pub max_age: Duration,
    /// `WEBHOOK_TIMEOUT_SECONDS`: one attempt's whole time (connect, send, answer).
    pub timeout: Duration,
}

/// Abuse limits; every one can be raised for load tests or lowered for tests of the limits.
#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    /// REST requests per second per client IP (burst: twice that).
    pub api_per_second: u32,
    /// Logins and registrations per minute per client IP.
    pub auth_per_minute: u32,
    /// Guest sign-ins per minute per client IP (burst: as many): a class or a party behind one
    /// school or café address gets in at once, a script minting identities does not.
    pub guests_per_minute: u32,
    /// Room previews by code (`GET /api/rooms/{code}/preview`) per minute per client IP, for
    /// visitors without a session (burst: as many); signed-in callers spend their join budget.
    pub previews_per_minute: u32,
    /// Logins per minute per account (email), against password guessing from many IPs;
    /// counted across the cluster (in Redis).
    pub login_per_account_per_minute: u32,
    /// Room joins (REST or socket) per minute per user, against room-code guessing.
    pub joins_per_minute: u32,
    /// Socket.IO events per second per socket (burst: twice that).
    pub socket_events_per_second: u32,
    /// Events refused for flooding before the socket is disconnected.
    pub socket_flood_strikes: u32,
    /// Open Socket.IO connections per user on one node (0: no cap).
    pub sockets_per_user: u32,
    /// Open Socket.IO connections per client address (IPv6: per /64) on one node (0: no cap).
    pub sockets_per_ip: u32,
    /// Polls created per minute per account, across the cluster: each public one is pushed to
    /// every feed subscriber.
    pub polls_per_account_per_minute: u32,
    /// Other poll writes that fan out (likes and unlikes, option changes, edits and status
    /// changes) per minute per account, across the cluster.
    pub account_writes_per_minute: u32,
}

/// The OpenAI-compatible endpoint questions are asked of (`questions::openai`).
#[derive(Clone)]
pub struct OpenAiSettings {
    pub api_key: String,
    /// `None` for OpenAI itself; otherwise the server's `/v1` root, e.g.
    /// `http://localhost:11434/v1` for Ollama.
    pub base_url: Option<String>,
    pub model: String,
    /// The hard limit for one question, network and retries included (there are none).
    pub timeout: Duration,
}

impl OpenAiSettings {
    /// `OPENAI_MODEL` when unset.
    pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
    /// `OPENAI_TIMEOUT_SECONDS` when unset.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);

    /// OpenAI's own endpoint with the default model and timeout.
    #[cfg(test)]
    pub(crate) fn new(api_key: impl Into<String>) -> Self {
        OpenAiSettings {
            api_key: api_key.into(),
            base_url: None,
            model: Self::DEFAULT_MODEL.to_string(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

/// Hand-written so that printing the settings (in a log line, a panic message) never shows
/// the key.
impl std::fmt::Debug for OpenAiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiSettings")
            .field("api_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}

// Secrets must never reach a log line, so Debug is written by hand.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("dev_secret", &self.dev_secret)
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "database_read_url",
                &self.database_read_url.as_deref().map(redact_url),
            )
            .field("redis_url", &redact_url(&self.redis_url))
            .field("redis_prefix", &self.redis_prefix)
            .field("redis_fanout", &self.redis_fanout)
            .field("jwt_ttl", &self.jwt_ttl)
            .field("guest_ttl", &self.guest_ttl)
            .field("guest_retention", &self.guest_retention)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("allowed_origins", &self.allowed_origins)
            .field("cookie_secure", &self.cookie_secure)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("limits", &self.limits)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<set>"),
            )
            .field("metrics_addr", &self.metrics_addr)
            .field("webhooks", &self.webhooks)
            .field(
                "openai",
                &self.openai.as_ref().map(|o| (&o.base_url, &o.model)),
            )
            .finish_non_exhaustive()
    }
}

/// The `REDIS_URL` that selects the single in-process node.
pub const MEMORY: &str = "memory";

/// Drops the password of a `scheme://user:password@host` URL.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

impl Config {
    /// `REDIS_URL=memory`: one node keeps live state in its own memory (no Redis at all).
    pub fn single_node(&self) -> bool {
        self.redis_url == MEMORY
    }

    /// What `REDIS_URL` names (see `RedisTarget`); checked when the settings are read.
    pub fn redis_target(&self) -> Result<RedisTarget, ConfigError> {
        RedisTarget::parse(&self.redis_url).map_err(|e| ConfigError::Invalid("REDIS_URL", e))
    }

    /// Reads `.env` (if any) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|k| env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// The parsing itself, over any lookup, so tests can configure without touching the
    /// process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = AppEnv::parse(get("APP_ENV").as_deref())?;
        let production = env == AppEnv::Production;
        let jwt_secret = match get("JWT_SECRET") {
            Some(s) if s.len() >= MIN_SECRET_BYTES && s != DEV_JWT_SECRET => s,
            Some(_) | None if production => return Err(ConfigError::WeakSecret),
            Some(s) => s,
            None => DEV_JWT_SECRET.to_string(),
        };
        let dev_secret = jwt_secret == DEV_JWT_SECRET;
        let metrics_token = match get("METRICS_TOKEN").map(|t| t.trim().to_string()) {
            Some(t) if t.len() < MIN_METRICS_TOKEN_BYTES => {
                return Err(ConfigError::Invalid(
                    "METRICS_TOKEN",
                    format!("must be at least {MIN_METRICS_TOKEN_BYTES} characters"),
                ));
            }
            other => other,
        };
        let openai = get("OPENAI_API_KEY").map(|api_key| {
            Ok::<_, ConfigError>(OpenAiSettings {
                api_key,
                base_url: get("OPENAI_BASE_URL"),
                model: get("OPENAI_MODEL").unwrap_or_else(|| OpenAiSettings::DEFAULT_MODEL.into()),
                timeout: Duration::from_secs(parse(
                    &get,
                    "OPENAI_TIMEOUT_SECONDS",
                    OpenAiSettings::DEFAULT_TIMEOUT.as_secs(),
                )?),
            })
        });
        if let Some(url) = get("REDIS_URL") {
            RedisTarget::parse(&url).map_err(|e| ConfigError::Invalid("REDIS_URL", e))?;
        }
        Ok(Config {
            env,
            dev_secret,
            database_url: get("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/voting_game".into()),
            database_read_url: get("DATABASE_READ_URL").map(|u| u.trim().to_string()),
            redis_url: get("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
            redis_prefix: get("REDIS_PREFIX").unwrap_or_else(|| "vg:".into()),
            redis_fanout: parse(&get, "REDIS_FANOUT", Fanout::Room)?,
            jwt_secret,
            jwt_ttl: Duration::from_secs(parse(&get, "JWT_TTL_SECONDS", 86_400)?),
            guest_ttl: Duration::from_secs(parse(&get, "GUEST_SESSION_SECONDS", 86_400)?),
            guest_retention: Duration::from_secs(
                parse::<u64>(&get, "GUEST_RETENTION_DAYS", 30)?.saturating_mul(86_400),
            ),
            host: parse(&get, "HOST", IpAddr::from([0, 0, 0, 0]))?,
            port: parse(&get, "PORT", 8000)?,
            allowed_origins: get("ALLOWED_ORIGINS")
                .unwrap_or_else(|| "http://localhost:3000,http://localhost:5173".into())
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            // Production is served over HTTPS: the cookie is Secure unless said otherwise.
            cookie_secure: parse(&get, "COOKIE_SECURE", production)?,
            openai: openai.transpose()?,
            log_json: get("LOG_FORMAT").is_some_and(|v| v.eq_ignore_ascii_case("json")),
            limits: LimitSettings {
                api_per_second: parse(&get, "RATE_LIMIT_API_PER_SECOND", 50)?,
                auth_per_minute: parse(&get, "RATE_LIMIT_AUTH_PER_MINUTE", 30)?,
                guests_per_minute: parse(&get, "RATE_LIMIT_GUESTS_PER_MINUTE", 120)?,
                previews_per_minute: parse(&get, "RATE_LIMIT_PREVIEWS_PER_MINUTE", 120)?,
                login_per_account_per_minute: parse(
                    &get,
                    "RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE",
                    10,
                )?,
                joins_per_minute: parse(&get, "RATE_LIMIT_JOINS_PER_MINUTE", 30)?,
                socket_events_per_second: parse(&get, "RATE_LIMIT_SOCKET_EVENTS_PER_SECOND", 20)?,
                socket_flood_strikes: parse(&get, "RATE_LIMIT_SOCKET_FLOOD_STRIKES", 100)?,
                sockets_per_user: parse(&get, "MAX_SOCKETS_PER_USER", 10)?,
                sockets_per_ip: parse(&get, "MAX_SOCKETS_PER_IP", 256)?,
                polls_per_account_per_minute: parse(
                    &get,
                    "RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE",
                    10,
                )?,
                account_writes_per_minute: parse(&get, "RATE_LIMIT_ACCOUNT_WRITES_PER_MINUTE", 60)?,
            },
            trusted_proxies: parse(&get, "TRUSTED_PROXIES", TrustedProxies::default())?,
            host_grace: Duration::from_secs(parse(&get, "HOST_GRACE_SECONDS", 30)?),
            deadline_poll: Duration::from_millis(parse(&get, "DEADLINE_POLL_MS", 100)?.max(1)),
            presence_lease: Duration::from_secs(parse(&get, "PRESENCE_LEASE_SECONDS", 10)?.max(2)),
            admin_emails: get("ADMIN_EMAILS")
                .unwrap_or_default()
                .split(',')
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
                .collect(),
            metrics_token,
            metrics_addr: get("METRICS_ADDR")
                .map(|a| {
                    a.trim().parse().map_err(|e: std::net::AddrParseError| {
                        ConfigError::Invalid("METRICS_ADDR", e.to_string())
                    })
                })
                .transpose()?,
            webhooks: WebhookSettings {
                allow_private: parse(&get, "WEBHOOK_ALLOW_PRIVATE", false)?,
                retry_base: Duration::from_millis(
                    parse(&get, "WEBHOOK_RETRY_BASE_MS", 10_000)?.max(1),
                ),
                retry_max: Duration::from_secs(
                    parse(&get, "WEBHOOK_RETRY_MAX_SECONDS", 3_600)?.max(1),
                ),
                max_age: Duration::from_secs(parse(&get, "WEBHOOK_MAX_AGE_SECONDS", 86_400)?),
                timeout: Duration::from_secs(parse(&get, "WEBHOOK_TIMEOUT_SECONDS", 5)?.max(1)),
            },
        })
    }
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid(key, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn a_developer_needs_to_set_nothing() {
        let c = config(&[]).expect("defaults");
        assert_eq!(c.port, 8000);
        assert_eq!(c.env, AppEnv::Development);
        assert!(c.dev_secret);
        assert!(!c.cookie_secure);
        assert!(c.openai.is_none() && c.database_read_url.is_none());
        assert_eq!(
            (
                c.limits.polls_per_account_per_minute,
                c.limits.account_writes_per_minute
            ),
            (10, 60)
        );
    }

    #[test]
    fn production_refuses_a_missing_or_weak_secret() {
        assert!(matches!(
            config(&[("APP_ENV", "production")]),
            Err(ConfigError::WeakSecret)
        ));
        assert!(matches!(
            config(&[("APP_ENV", "production"), ("JWT_SECRET", "short")]),
            Err(ConfigError::WeakSecret)
        ));
        let strong = "x".repeat(40);
        assert!(config(&[("APP_ENV", "production"), ("JWT_SECRET", &strong)]).is_ok());
    }

    #[test]
    fn an_unknown_environment_refuses_to_start_whatever_the_secret() {
        let strong = "x".repeat(40);
        for env in ["prod", "staging", "Prod", "live", "productoin", "dev"] {
            assert!(
                matches!(config(&[("APP_ENV", env)]), Err(ConfigError::UnknownEnv(_))),
                "{env}"
            );
            assert!(
                matches!(
                    config(&[("APP_ENV", env), ("JWT_SECRET", &strong)]),
                    Err(ConfigError::UnknownEnv(_))
                ),
                "{env}"
            );
        }
    }

    #[test]
    fn only_development_and_test_may_use_the_development_secret() {
        for env in ["development", "DEVELOPMENT", "test", " test "] {
            let c = config(&[("APP_ENV", env)]).expect(env);
            assert!(c.dev_secret && c.jwt_secret == DEV_JWT_SECRET, "{env}");
        }
        assert_eq!(
            config(&[("APP_ENV", "test")]).map(|c| c.env).ok(),
            Some(AppEnv::Test)
        );
        assert!(matches!(
            config(&[("APP_ENV", "production"), ("JWT_SECRET", DEV_JWT_SECRET)]),
            Err(ConfigError::WeakSecret)
        ));
    }

    #[test]
    fn the_cookie_is_secure_by_default_in_production_only() {
        let strong = "x".repeat(40);
        let prod = [("APP_ENV", "production"), ("JWT_SECRET", strong.as_str())];
        assert!(config(&prod).expect("prod").cookie_secure);
        let plain_http = [
            ("APP_ENV", "production"),
            ("JWT_SECRET", strong.as_str()),
            ("COOKIE_SECURE", "false"),
        ];
        assert!(!config(&plain_http).expect("prod").cookie_secure);
        assert!(!config(&[]).expect("dev").cookie_secure);
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        assert!(config(&[("TRUSTED_PROXIES", "10.0.0.0/8, ::1,192.0.2.7")]).is_ok());
        assert!(matches!(
            config(&[("TRUSTED_PROXIES", "10.0.0.0/8,lb.internal")]),
            Err(ConfigError::Invalid("TRUSTED_PROXIES", _))
        ));
    }

    #[test]
    fn bad_proxy_lists_are_refused() {
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.example".parse::<TrustedProxies>().is_err());
        assert!("".parse::<TrustedProxies>().is_ok());
    }

    #[test]
    fn metrics_are_guarded_by_a_token_or_served_on_their_own_address() {
        let c = config(&[]).expect("defaults");
        assert!(c.metrics_token.is_none() && c.metrics_addr.is_none());
        let c = config(&[
            ("METRICS_TOKEN", " scrape-secret-0123456789 "),
            ("METRICS_ADDR", "127.0.0.1:9100"),
        ])
        .expect("config");
        assert_eq!(c.metrics_token.as_deref(), Some("scrape-secret-0123456789"));
        assert_eq!(
            c.metrics_addr,
            Some(SocketAddr::from(([127, 0, 0, 1], 9100)))
        );
        assert!(!format!("{c:?}").contains("scrape-secret"));
        assert!(matches!(
            config(&[("METRICS_TOKEN", "short")]),
            Err(ConfigError::Invalid("METRICS_TOKEN", _))
        ));
        assert!(matches!(
            config(&[("METRICS_ADDR", "localhost")]),
            Err(ConfigError::Invalid("METRICS_ADDR", _))
        ));
    }

    #[test]
    fn fan_out_is_per_room_unless_said_otherwise() {
        assert_eq!(config(&[]).expect("defaults").redis_fanout, Fanout::Room);
        let c = config(&[("REDIS_FANOUT", " Global ")]).expect("global");
        assert_eq!(c.redis_fanout, Fanout::Global);
        assert!(matches!(
            config(&[("REDIS_FANOUT", "rooms")]),
            Err(ConfigError::Invalid("REDIS_FANOUT", _))
        ));
    }

    #[test]
    fn a_bad_port_is_a_clear_error() {
        assert!(matches!(
            config(&[("PORT", "eighty")]),
            Err(ConfigError::Invalid("PORT", _))
        ));
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let c = config(&[
            (
                "JWT_SECRET",
                "a-very-long-secret-that-must-not-leak-0123456789",
            ),
            ("DATABASE_URL", "postgres://u:hunter2@db/x"),
            ("DATABASE_READ_URL", " postgres://u:hunter3@replica/x "),
            ("OPENAI_API_KEY", "sk-secret"),
        ])
        .expect("config");
        let shown = format!("{c:?}");
        assert!(!shown.contains("must-not-leak"));
        assert!(!shown.contains("hunter2") && !shown.contains("hunter3"));
        assert_eq!(
            c.database_read_url.as_deref(),
            Some("postgres://u:hunter3@replica/x")
        );
        assert!(!shown.contains("sk-secret"));
    }
}
