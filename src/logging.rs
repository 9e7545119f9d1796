//! Log lines with time, level, target and the request id of the request being handled.

use std::io::Write;

/// `RUST_LOG` picks the levels (default `info`).
pub fn init() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| {
            let request = crate::http::request_context::current().map(|c| format!(" [{}]", c.id)).unwrap_or_default();
            writeln!(
                buf,
                "{} {:<5} {}{} {}",
                buf.timestamp_millis(),
                record.level(),
                record.target(),
                request,
                record.args()
            )
        })
        .init();
}
