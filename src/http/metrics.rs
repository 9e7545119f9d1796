//! Prometheus metrics: requests and latency by route and status, the connection pool, and
//! the service's own PostgreSQL (up, restarts, given up) when it runs one.

use std::time::Duration;

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    postgres: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("jianyi".into()), None).expect("a valid prefix");
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered, by method, route and status"),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer, by method and route")
                .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &["method", "route"],
        )
        .expect("valid metric");
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database connections: in_use, idle, waiting (requests queued), max"),
            &["state"],
        )
        .expect("valid metric");
        let postgres = IntGaugeVec::new(
            Opts::new(
                "local_postgres",
                "The service's own PostgreSQL: up (1 or 0), restarts after it died, gave_up (1 after too many)",
            ),
            &["state"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool.clone()),
            Box::new(postgres.clone()),
        ] {
            registry.register(c).expect("metric names are unique");
        }
        Self { registry, requests, latency, pool, postgres }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        self.requests.with_label_values(&[method, route, status.as_str()]).inc();
        self.latency.with_label_values(&[method, route]).observe(elapsed.as_secs_f64());
    }

    /// The text exposition, with the pools' state (summed over workers) and the local
    /// PostgreSQL's read now.
    pub fn render(
        &self,
        pools: impl IntoIterator<Item = deadpool::Status>,
        postgres: Option<&crate::db::local::Supervision>,
    ) -> String {
        if let Some(p) = postgres {
            use std::sync::atomic::Ordering;
            self.postgres.with_label_values(&["up"]).set(i64::from(p.up.load(Ordering::SeqCst)));
            self.postgres.with_label_values(&["restarts"]).set(p.restarts.load(Ordering::SeqCst) as i64);
            self.postgres.with_label_values(&["gave_up"]).set(i64::from(p.gave_up.load(Ordering::SeqCst)));
        }
        let (mut in_use, mut idle, mut waiting, mut max) = (0, 0, 0, 0);
        for p in pools {
            in_use += p.size.saturating_sub(p.available) as i64;
            idle += p.available as i64;
            waiting += p.waiting as i64;
            max += p.max_size as i64;
        }
        self.pool.with_label_values(&["in_use"]).set(in_use);
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool.with_label_values(&["waiting"]).set(waiting);
        self.pool.with_label_values(&["max"]).set(max);
        let mut out = Vec::new();
        // Encoding into a Vec cannot fail for the text format.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
