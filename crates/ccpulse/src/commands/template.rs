//! `ccpulse template list|show|save|run|delete`: the explore page's saved views, and their
//! report for a period (the same document a schedule of `template:NAME` writes).

use std::process::ExitCode;

use anyhow::bail;
use ccpulse_report::view::{run_template, SavedView};
use ccpulse_report::{Lang, Period};
use ccpulse_store::Template;

use super::report::emit;
use super::{known_tenant, lang_of, open, Done};
use crate::cli::TemplateCommand;
use crate::config::Config;

/// Runs a template command.
pub fn run(cfg: &Config, command: TemplateCommand) -> Done {
    let store = open(cfg)?;
    match command {
        TemplateCommand::List { tenant, json } => {
            let tenant = known_tenant(&store, &tenant)?;
            let list = store.templates(&tenant, None)?;
            if json {
                println!("{}", serde_json::json!({ "templates": list }));
            } else if list.is_empty() {
                println!("no templates in tenant {tenant}");
            } else {
                for t in list {
                    let scope = if t.shared { "shared" } else { "private" };
                    println!(
                        "{}  ({}, {scope}, {})  {}",
                        t.name, t.owner, t.updated_at, t.view
                    );
                }
            }
        }
        TemplateCommand::Show { name, tenant } => {
            let tenant = known_tenant(&store, &tenant)?;
            let Some(t) = store.template(&tenant, &name, None)? else {
                bail!("no template `{name}` in tenant {tenant}");
            };
            let view: serde_json::Value = serde_json::from_str(&t.view)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "name": t.name, "owner": t.owner, "shared": t.shared,
                    "updated_at": t.updated_at, "view": view,
                }))?
            );
        }
        TemplateCommand::Save {
            name,
            tenant,
            metrics,
            by,
            filters,
            shared,
            owner,
        } => {
            let tenant = known_tenant(&store, &tenant)?;
            let view = SavedView {
                metrics,
                by,
                filters,
                ..SavedView::default()
            };
            let text = serde_json::to_string(&view)?;
            SavedView::checked(&store, &store.catalog()?, &tenant, &text)?;
            let t = Template {
                tenant: tenant.to_string(),
                name,
                owner,
                shared,
                view: text,
                updated_at: String::new(),
            };
            store.put_template(&tenant, &t, jiff::Timestamp::now())?;
            println!("{}", t.name);
        }
        TemplateCommand::Run { name, args } => {
            let tenant = known_tenant(&store, &args.tenant)?;
            let Some(t) = store.template(&tenant, &name, None)? else {
                bail!("no template `{name}` in tenant {tenant}");
            };
            let lang = Lang::parse(&lang_of(cfg, args.lang.as_deref())?);
            let period = Period::parse(&args.period)?;
            let catalog = store.catalog()?;
            let (doc, json) = run_template(&store, &catalog, &tenant, &t, &period, &[], lang)?;
            emit(args.format.as_deref(), args.out.as_deref(), &doc, &json)?;
        }
        TemplateCommand::Delete { name, tenant } => {
            let tenant = known_tenant(&store, &tenant)?;
            if !store.delete_template(&tenant, &name, None)? {
                bail!("no template `{name}` in tenant {tenant}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
