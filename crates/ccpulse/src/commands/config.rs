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
    }
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(ExitCode::SUCCESS)
}
