//! Sending a delivery: the HTTP client whose every connection is checked against the
//! allowed targets after DNS resolution and on every redirect, and the signed request.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Client, Url, redirect};
use serde_json::json;

use crate::sync::webhooks::queries::Taken;
use crate::sync::webhooks::rules;

/// Where deliveries may go: host names (empty: any) and the otherwise refused networks
/// that are allowed (loopback, private, link-local ...).
#[derive(Debug, Clone, Default)]
pub struct Targets {
    pub hosts: Vec<String>,
    pub networks: Vec<IpNet>,
}

impl Targets {
    pub fn of(config: &crate::config::WebhookConfig) -> Self {
        Targets { hosts: config.allowed_hosts.clone(), networks: config.allowed_networks.clone() }
    }

    /// Why `url` may not be a target before any lookup (its scheme, its host name, an
    /// address written in it); `None` when it may.
    pub fn refusal(&self, url: &Url) -> Option<String> {
        if let Some(fault) = rules::url_fault(url) {
            return Some(fault.to_string());
        }
        let host = url.host_str().unwrap_or_default();
        match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) if !rules::address_allowed(ip, &self.networks) => Some(format!("the address {ip} is not allowed")),
            // With a list of hosts, an address must be on it or in an allowed network.
            Ok(ip) if !rules::host_allowed(host, &self.hosts) && !self.networks.iter().any(|n| n.contains(&ip)) => {
                Some(format!("the address {ip} is not an allowed host"))
            }
            Ok(_) => None,
            Err(_) if !rules::host_allowed(host, &self.hosts) => Some(format!("the host {host} is not allowed")),
            Err(_) => None,
        }
    }
}

/// Resolves names and keeps only the addresses the targets allow; none left is an error,
/// so that a name pointing inside the network is refused whatever it resolves to later.
struct GuardedResolver {
    networks: Vec<IpNet>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let networks = self.networks.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|a| rules::address_allowed(a.ip(), &networks)).collect();
            if allowed.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> = if found.is_empty() {
                    format!("{host} has no address").into()
                } else {
                    format!("{host} resolves to addresses that are not allowed").into()
                };
                return Err(error);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The deliveries' client: no proxy, the guarded resolver, at most 5 redirects each
/// checked as the first URL is, `timeout` for a whole attempt.
pub fn client(targets: &Targets, timeout: Duration) -> Client {
    let checked = targets.clone();
    let policy = redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("more than 5 redirects");
        }
        match checked.refusal(attempt.url()) {
            Some(why) => attempt.error(format!("redirected to a refused target: {why}")),
            None => attempt.follow(),
        }
    });
    // rustls needs a process-wide crypto provider for https targets (ring, as for S3).
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { networks: targets.networks.clone() }))
        .redirect(policy)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("jianyi-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with these settings builds")
}

/// The body a receiver gets: the event's type, when it happened, and the event.
pub fn body(t: &Taken) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": t.kind,
        "timestamp": t.created_at,
        "data": {
            "position": t.position, "seq": t.seq, "entity_type": t.entity_type, "entity_id": t.entity_id,
            "version": t.version, "payload": t.payload,
        },
    }))
    .expect("JSON values serialize")
}

/// One attempt: `Ok(status)` when the receiver answered (2xx is delivered), `Err(why)`
/// when it could not be reached or was refused.
pub async fn attempt(client: &Client, targets: &Targets, t: &Taken, now: i64) -> Result<u16, String> {
    let url: Url = t.url.parse().map_err(|e| format!("the URL: {e}"))?;
    if let Some(why) = targets.refusal(&url) {
        return Err(why);
    }
    let key = rules::secret_key(&t.secret).ok_or("the subscription's secret is not a whsec_ key")?;
    let id = t.id.to_string();
    let body = body(t);
    let signature = rules::signature(&key, &id, now, &body);
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", now.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| error_chain(&e))?;
    Ok(res.status().as_u16())
}

/// An error with its causes ("error sending request: ... not allowed").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text.chars().take(500).collect()
}
