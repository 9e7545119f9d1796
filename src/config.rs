//! Typed configuration from environment variables (documented in README.md and
//! `.env.example`); an invalid value stops the start with a message naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: an existing database; unset, a private cluster runs under `data_dir`.
    pub database_url: Option<String>,
    /// `JIANYI_BIND`
    pub bind: SocketAddr,
    /// `JIANYI_DATA_DIR`: the local cluster and the generated JWT secret live here.
    pub data_dir: PathBuf,
    /// `JIANYI_JWT_SECRET` (at least 32 bytes); `None` means generate and keep one.
    pub jwt_secret: Option<String>,
    /// `JIANYI_JWT_ISSUER`
    pub jwt_issuer: String,
    /// `JIANYI_JWT_AUDIENCE`
    pub jwt_audience: String,
    /// `JIANYI_ACCESS_TOKEN_TTL`
    pub access_token_ttl: Duration,
    /// `JIANYI_REFRESH_TOKEN_TTL`: how long a login lasts without a new password.
    pub refresh_token_ttl: Duration,
    /// `JIANYI_SESSION_CACHE_TTL`: how long a checked session is trusted without a query.
    pub session_cache_ttl: Duration,
    /// `JIANYI_ADMIN_PASSWORD`: the first start's `admin` password (else one is generated).
    pub admin_password: Option<String>,
    /// `JIANYI_CORS_ORIGINS`: comma-separated origins allowed to call the API from a browser.
    pub cors_origins: Vec<String>,
    /// `JIANYI_BODY_LIMIT`: the largest JSON body, in bytes.
    pub body_limit: usize,
    /// `JIANYI_IMPORT_LIMIT`: the largest import (NDJSON or xlsx), in bytes.
    pub import_limit: usize,
    /// `JIANYI_DB_POOL_SIZE`
    pub db_pool_size: usize,
    /// `JIANYI_DB_TIMEOUT`: how long a request waits for a connection before answering 503.
    pub db_timeout: Duration,
    /// `JIANYI_WORKERS`: HTTP worker threads (default: one per CPU).
    pub workers: usize,
    /// `JIANYI_LOGIN_MAX_FAILURES`: failed logins per username within the window.
    pub login_max_failures: i32,
    /// `JIANYI_LOGIN_IP_MAX_FAILURES`: failed logins per client address within the window.
    pub login_ip_max_failures: i32,
    /// `JIANYI_LOGIN_WINDOW`
    pub login_window: Duration,
    /// `JIANYI_DUE_SOON_DAYS`: working days before the due date from which an item is due soon.
    pub due_soon_days: u32,
    /// `JIANYI_JOB_INTERVAL`: how often the due-state job runs (and reminds).
    pub job_interval: Duration,
    /// `JIANYI_UPLOAD_LIMIT`: the largest document, in bytes.
    pub upload_limit: u64,
    /// `JIANYI_FILES_DIR`: the local document store (default: `files` in the data dir).
    pub files_dir: Option<PathBuf>,
    /// `JIANYI_FONT_DIR`: where the letters' fonts are (NotoSerifCJK-Regular.ttc and
    /// -Bold.ttc); unset, the system's font folders are searched.
    pub font_dir: Option<PathBuf>,
    /// Webhook deliveries (`JIANYI_WEBHOOK_*`).
    pub webhooks: WebhookConfig,
    /// `JIANYI_PUBLIC_RATE`: requests per second per client address on the public
    /// endpoints (bursts of five seconds' worth), then 429.
    pub public_rate: u32,
    /// `JIANYI_S3_*`: an S3-compatible document store instead of the local folder.
    pub s3: Option<S3Config>,
}

/// Where webhook deliveries may go and how they are tried.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `JIANYI_WEBHOOK_ALLOWED_HOSTS`: comma-separated host names a subscription may target
    /// (`*.example.cn` for subdomains); unset, any host.
    pub allowed_hosts: Vec<String>,
    /// `JIANYI_WEBHOOK_ALLOWED_NETWORKS`: comma-separated networks among those refused
    /// otherwise (loopback, private, link-local ...) that deliveries may reach, e.g. an
    /// in-house receiver's `10.20.0.0/16`; unset, public addresses only.
    pub allowed_networks: Vec<ipnet::IpNet>,
    /// `JIANYI_WEBHOOK_MAX_ATTEMPTS`: attempts before a delivery is dead-lettered.
    pub max_attempts: u32,
    /// `JIANYI_WEBHOOK_RETRY_BASE`: the pause after the first failed attempt, doubled after
    /// each (with jitter) up to `JIANYI_WEBHOOK_RETRY_MAX`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// `JIANYI_WEBHOOK_TIMEOUT`: the longest attempt.
    pub timeout: Duration,
}

/// An S3-compatible store: `JIANYI_S3_BUCKET` (which turns it on), `JIANYI_S3_ENDPOINT`
/// (unset: AWS), `JIANYI_S3_REGION`, `JIANYI_S3_ACCESS_KEY_ID`, `JIANYI_S3_SECRET_ACCESS_KEY`.
#[derive(Clone, PartialEq)]
pub struct S3Config {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Where local documents are kept.
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir.clone().unwrap_or_else(|| self.data_dir.join("files"))
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid {name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("var"),
            jwt_secret: None,
            jwt_issuer: "jianyi".into(),
            jwt_audience: "jianyi-api".into(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            session_cache_ttl: Duration::from_secs(5),
            admin_password: None,
            cors_origins: Vec::new(),
            body_limit: 1024 * 1024,
            import_limit: 64 * 1024 * 1024,
            db_pool_size: 16,
            db_timeout: Duration::from_secs(5),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            login_max_failures: 5,
            login_ip_max_failures: 50,
            login_window: Duration::from_secs(15 * 60),
            due_soon_days: 10,
            job_interval: Duration::from_secs(15 * 60),
            upload_limit: 50 * 1024 * 1024,
            files_dir: None,
            font_dir: None,
            public_rate: 10,
            webhooks: WebhookConfig {
                allowed_hosts: Vec::new(),
                allowed_networks: Vec::new(),
                max_attempts: 8,
                retry_base: Duration::from_secs(30),
                retry_max: Duration::from_secs(6 * 3600),
                timeout: Duration::from_secs(10),
            },
            s3: None,
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = Config::default();
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let config = Config {
            database_url: var("DATABASE_URL"),
            bind: parse(&var, "JIANYI_BIND", d.bind, |v| {
                SocketAddr::from_str(v).map_err(|_| "expected an address like 127.0.0.1:8080".into())
            })?,
            data_dir: var("JIANYI_DATA_DIR").map(PathBuf::from).unwrap_or(d.data_dir),
            jwt_secret: match var("JIANYI_JWT_SECRET") {
                Some(s) if s.len() < 32 => {
                    return Err(ConfigError {
                        name: "JIANYI_JWT_SECRET",
                        value: "(hidden)".into(),
                        reason: format!("must be at least 32 bytes, got {}", s.len()),
                    });
                }
                other => other,
            },
            jwt_issuer: var("JIANYI_JWT_ISSUER").unwrap_or(d.jwt_issuer),
            jwt_audience: var("JIANYI_JWT_AUDIENCE").unwrap_or(d.jwt_audience),
            access_token_ttl: duration(&var, "JIANYI_ACCESS_TOKEN_TTL", d.access_token_ttl)?,
            refresh_token_ttl: duration(&var, "JIANYI_REFRESH_TOKEN_TTL", d.refresh_token_ttl)?,
            session_cache_ttl: duration(&var, "JIANYI_SESSION_CACHE_TTL", d.session_cache_ttl)?,
            admin_password: var("JIANYI_ADMIN_PASSWORD"),
            cors_origins: var("JIANYI_CORS_ORIGINS")
                .map(|v| v.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect())
                .unwrap_or_default(),
            body_limit: number(&var, "JIANYI_BODY_LIMIT", d.body_limit, 1024)?,
            import_limit: number(&var, "JIANYI_IMPORT_LIMIT", d.import_limit, 1024)?,
            db_pool_size: number(&var, "JIANYI_DB_POOL_SIZE", d.db_pool_size, 1)?,
            db_timeout: duration(&var, "JIANYI_DB_TIMEOUT", d.db_timeout)?,
            workers: number(&var, "JIANYI_WORKERS", d.workers, 1)?,
            login_max_failures: number(&var, "JIANYI_LOGIN_MAX_FAILURES", d.login_max_failures, 1)?,
            login_ip_max_failures: number(&var, "JIANYI_LOGIN_IP_MAX_FAILURES", d.login_ip_max_failures, 1)?,
            login_window: duration(&var, "JIANYI_LOGIN_WINDOW", d.login_window)?,
            due_soon_days: number(&var, "JIANYI_DUE_SOON_DAYS", d.due_soon_days, 0)?,
            job_interval: duration(&var, "JIANYI_JOB_INTERVAL", d.job_interval)?,
            upload_limit: number(&var, "JIANYI_UPLOAD_LIMIT", d.upload_limit, 1024)?,
            files_dir: var("JIANYI_FILES_DIR").map(PathBuf::from),
            font_dir: var("JIANYI_FONT_DIR").map(PathBuf::from),
            public_rate: number(&var, "JIANYI_PUBLIC_RATE", d.public_rate as u64, 1)? as u32,
            webhooks: WebhookConfig {
                allowed_hosts: var("JIANYI_WEBHOOK_ALLOWED_HOSTS")
                    .map(|v| v.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect())
                    .unwrap_or_default(),
                allowed_networks: match var("JIANYI_WEBHOOK_ALLOWED_NETWORKS") {
                    None => Vec::new(),
                    Some(v) => v
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(|n| {
                            n.parse::<ipnet::IpNet>()
                                .or_else(|_| n.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                                .map_err(|_| ConfigError {
                                    name: "JIANYI_WEBHOOK_ALLOWED_NETWORKS",
                                    value: n.to_string(),
                                    reason: "expected addresses or networks like 10.20.0.0/16, comma-separated".into(),
                                })
                        })
                        .collect::<Result<_, _>>()?,
                },
                max_attempts: number(&var, "JIANYI_WEBHOOK_MAX_ATTEMPTS", d.webhooks.max_attempts, 1)?,
                retry_base: duration(&var, "JIANYI_WEBHOOK_RETRY_BASE", d.webhooks.retry_base)?,
                retry_max: duration(&var, "JIANYI_WEBHOOK_RETRY_MAX", d.webhooks.retry_max)?,
                timeout: duration(&var, "JIANYI_WEBHOOK_TIMEOUT", d.webhooks.timeout)?,
            },
            s3: var("JIANYI_S3_BUCKET").map(|bucket| S3Config {
                bucket,
                endpoint: var("JIANYI_S3_ENDPOINT"),
                region: var("JIANYI_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                access_key_id: var("JIANYI_S3_ACCESS_KEY_ID"),
                secret_access_key: var("JIANYI_S3_SECRET_ACCESS_KEY"),
            }),
        };
        if let Some(endpoint) = config.s3.as_ref().and_then(|s| s.endpoint.as_ref())
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(ConfigError {
                name: "JIANYI_S3_ENDPOINT",
                value: endpoint.clone(),
                reason: "expected http://host:port or https://host".into(),
            });
        }
        if let Some(url) = &config.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError {
                name: "DATABASE_URL",
                value: url.clone(),
                reason: "expected postgres://user@host/database".into(),
            });
        }
        if config.job_interval < Duration::from_secs(1) {
            return Err(ConfigError {
                name: "JIANYI_JOB_INTERVAL",
                value: format!("{:?}", config.job_interval),
                reason: "must be at least 1s".into(),
            });
        }
        if config.access_token_ttl < Duration::from_secs(30) {
            return Err(ConfigError {
                name: "JIANYI_ACCESS_TOKEN_TTL",
                value: format!("{:?}", config.access_token_ttl),
                reason: "must be at least 30s".into(),
            });
        }
        Ok(config)
    }
}

fn parse<T>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    f: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(value) => f(value.trim()).map_err(|reason| ConfigError { name, value, reason }),
    }
}

fn number<T: FromStr + PartialOrd + std::fmt::Display>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    min: T,
) -> Result<T, ConfigError> {
    parse(var, name, default, |v| match v.parse::<T>() {
        Ok(n) if n >= min => Ok(n),
        Ok(_) => Err(format!("must be at least {min}")),
        Err(_) => Err("expected a whole number".into()),
    })
}

/// A duration as whole seconds (`900`) or with units (`15m`, `30d`).
fn duration(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    parse(var, name, default, |v| {
        if let Ok(secs) = v.parse::<u64>() {
            return Ok(Duration::from_secs(secs));
        }
        humantime::parse_duration(v).map_err(|_| "expected seconds (900) or a duration (15m, 30d)".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let c = with(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.access_token_ttl, Duration::from_secs(900));
        assert!(c.database_url.is_none());
        assert_eq!(c.upload_limit, 50 * 1024 * 1024);
        assert_eq!(c.files_dir(), PathBuf::from("var/files"));
        assert!(c.s3.is_none());
    }

    #[test]
    fn s3_is_on_with_a_bucket() {
        let c = with(&[("JIANYI_S3_BUCKET", "jianyi"), ("JIANYI_S3_ENDPOINT", "http://127.0.0.1:9000")]).unwrap();
        let s3 = c.s3.unwrap();
        assert_eq!((s3.bucket.as_str(), s3.region.as_str()), ("jianyi", "us-east-1"));
        let e = with(&[("JIANYI_S3_BUCKET", "b"), ("JIANYI_S3_ENDPOINT", "minio:9000")]).unwrap_err();
        assert_eq!(e.name, "JIANYI_S3_ENDPOINT");
        assert_eq!(with(&[("JIANYI_UPLOAD_LIMIT", "12")]).unwrap_err().name, "JIANYI_UPLOAD_LIMIT");
    }

    #[test]
    fn durations_take_seconds_or_units() {
        let c = with(&[("JIANYI_ACCESS_TOKEN_TTL", "10m"), ("JIANYI_LOGIN_WINDOW", "60")]).unwrap();
        assert_eq!(c.access_token_ttl, Duration::from_secs(600));
        assert_eq!(c.login_window, Duration::from_secs(60));
    }

    #[test]
    fn invalid_values_name_the_variable() {
        assert_eq!(with(&[("JIANYI_BIND", "nowhere")]).unwrap_err().name, "JIANYI_BIND");
        assert_eq!(with(&[("JIANYI_DB_POOL_SIZE", "0")]).unwrap_err().name, "JIANYI_DB_POOL_SIZE");
        assert_eq!(with(&[("JIANYI_JWT_SECRET", "short")]).unwrap_err().name, "JIANYI_JWT_SECRET");
        assert_eq!(with(&[("DATABASE_URL", "mysql://x")]).unwrap_err().name, "DATABASE_URL");
        assert_eq!(with(&[("JIANYI_JOB_INTERVAL", "0")]).unwrap_err().name, "JIANYI_JOB_INTERVAL");
        let e = with(&[("JIANYI_ACCESS_TOKEN_TTL", "soon")]).unwrap_err();
        assert!(e.to_string().contains("JIANYI_ACCESS_TOKEN_TTL"));
    }

    #[test]
    fn cors_origins_are_a_list() {
        let c = with(&[("JIANYI_CORS_ORIGINS", "https://a.example, https://b.example,")]).unwrap();
        assert_eq!(c.cors_origins, vec!["https://a.example", "https://b.example"]);
    }
}
