//! The webhooks' rules: the signature (after the Standard Webhooks convention), when to try
//! again, and which targets a delivery may reach.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use ipnet::IpNet;
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// The key inside a `whsec_<base64>` secret.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok().filter(|k| k.len() >= 24)
}

/// The secret for `key`.
pub fn secret_of(key: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The pause after failed attempt `attempt` (1, 2, ...): `base` doubled each time up to
/// `cap`, of which a random half is kept (`jitter` in 0..1), so that many deliveries that
/// failed together do not come back together.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let full = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1))).min(cap);
    full.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

/// Whether a delivery to `ip` may go out: public addresses always; loopback, private,
/// link-local, shared, unique-local and other special ones only inside `allowed` networks.
pub fn address_allowed(ip: IpAddr, allowed: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    allowed.iter().any(|net| net.contains(&ip)) || is_public(ip)
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared (CGNAT)
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first == 0x2001 && v6.segments()[1] == 0xdb8) // documentation
                || v6.segments()[..6].iter().all(|s| *s == 0)) // ::/96: unspecified, loopback, IPv4-compatible
        }
    }
}

/// Whether a host name may be a target: any when no list is set, else one of the list
/// (`*.example.cn` takes its subdomains).
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allowed.is_empty()
        || allowed.iter().any(|a| match a.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => *a == host,
        })
}

/// What a subscription's URL must be: http or https, a host, no credentials, no fragment.
pub fn url_fault(url: &reqwest::Url) -> Option<&'static str> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some("must be http or https");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Some("must name a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("must not carry credentials");
    }
    if url.fragment().is_some() {
        return Some("must not have a fragment");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_standard_webhooks_one() {
        // The example of the Standard Webhooks specification.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(secret_of(&key), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert!(secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
        assert!(secret_key("whsec_c2hvcnQ=").is_none(), "too short a key");
        assert!(secret_key("whsec_!!").is_none());
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_keeps_a_random_half() {
        let (base, cap) = (Duration::from_secs(30), Duration::from_secs(3600));
        assert_eq!(backoff(1, base, cap, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(1, base, cap, 0.0), Duration::from_secs(15));
        assert_eq!(backoff(3, base, cap, 1.0), Duration::from_secs(120));
        assert_eq!(backoff(10, base, cap, 1.0), cap);
        assert_eq!(backoff(100, base, cap, 1.0), cap, "no overflow");
        let d = backoff(4, base, cap, 0.3);
        assert!(d > Duration::from_secs(120) && d < Duration::from_secs(240), "{d:?}");
    }

    #[test]
    fn only_public_addresses_unless_a_network_is_allowed() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for public in ["93.184.216.34", "114.114.114.114", "2606:2800:220:1::1"] {
            assert!(address_allowed(ip(public), &[]), "{public}");
        }
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
        ] {
            assert!(!address_allowed(ip(private), &[]), "{private}");
        }
        let allowed: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap(), "10.20.0.0/16".parse().unwrap()];
        assert!(address_allowed(ip("127.0.0.1"), &allowed));
        assert!(address_allowed(ip("::ffff:127.0.0.1"), &allowed));
        assert!(address_allowed(ip("10.20.3.4"), &allowed));
        assert!(!address_allowed(ip("10.21.3.4"), &allowed));
        assert!(!address_allowed(ip("169.254.169.254"), &allowed));
    }

    #[test]
    fn hosts_from_the_list_when_there_is_one() {
        assert!(host_allowed("anything.example", &[]));
        let list = vec!["hooks.gov.cn".to_string(), "*.rd.gov.cn".to_string()];
        assert!(host_allowed("hooks.gov.cn", &list));
        assert!(host_allowed("HOOKS.gov.cn.", &list));
        assert!(host_allowed("jy.rd.gov.cn", &list));
        assert!(!host_allowed("rd.gov.cn", &list));
        assert!(!host_allowed("evilrd.gov.cn", &list));
        assert!(!host_allowed("hooks.gov.cn.evil.com", &list));
    }

    #[test]
    fn urls_are_http_with_a_host_and_no_credentials() {
        let fault = |s: &str| url_fault(&s.parse().unwrap());
        assert_eq!(fault("https://hooks.gov.cn/jianyi?x=1"), None);
        assert_eq!(fault("http://10.0.0.1:8080/"), None, "addresses are checked when sending");
        assert!(fault("ftp://hooks.gov.cn/").is_some());
        assert!(fault("file:///etc/passwd").is_some());
        assert!(fault("https://user:pw@hooks.gov.cn/").is_some());
        assert!(fault("https://hooks.gov.cn/#x").is_some());
    }
}
