//! `ccpulse config`: the effective configuration and what DuckDB made of it.

use std::process::ExitCode;

use super::{open, Done};
use crate::config::Config;

/// Prints the configuration with the store's effective settings.
pub fn run(cfg: &Config) -> Done {
    let mut shown = serde_json::to_value(cfg)?;
    if let Some(obj) = shown.as_object_mut() {
        let store = open(cfg)?;
        for (key, setting) in [
            ("effective_memory_limit", "memory_limit"),
            ("effective_threads", "threads"),
            ("effective_checkpoint_threshold", "checkpoint_threshold"),
        ] {
            obj.insert(key.into(), store.setting(setting)?.into());
        }
        obj.insert("tenants".into(), store.tenants().len().into());
        let l = cfg.server_limits();
        obj.insert(
            "effective_server".into(),
            serde_json::json!({
                "header_timeout_s": l.header_timeout.as_secs(),
                "body_timeout_s": l.body_timeout.as_secs(),
                "max_connections": l.effective_connections(),
                "max_body_mb": l.max_body >> 20,
                "body_memory_mb": l.body_memory >> 20,
            }),
        );
    }
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(ExitCode::SUCCESS)
}
