//! `ccpulse topics`: hot topics of a period against the previous one; `ccpulse channels`:
//! the efficiency of each service channel.

use std::process::ExitCode;

use ccpulse_report::topics::{build, Ranking, TopicsView};
use ccpulse_report::{Lang, Period};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Color, Table};

use super::kpi::Format;
use super::{known_tenant, lang_of, open, Done};
use crate::cli::{ChannelsArgs, TopicsArgs};
use crate::config::Config;

/// `ccpulse topics`.
pub fn topics(cfg: &Config, a: TopicsArgs) -> Done {
    let lang = Lang::parse(&lang_of(cfg, a.lang.as_deref())?);
    let store = open(cfg)?;
    let tenant = known_tenant(&store, &a.tenant)?;
    let period = Period::parse(&a.period)?;
    let view = build(
        &store,
        &store.catalog()?,
        &tenant,
        &period,
        &[],
        a.limit,
        lang,
    )?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&view.to_json())?),
        Format::Csv => print!("{}", view.to_csv()?),
        Format::Table => {
            for (title, r) in [
                (lang.pick("咨询热点", "Contact topics"), &view.contacts),
                (lang.pick("投诉热点", "Complaint topics"), &view.complaints),
            ] {
                println!(
                    "{title} ({} {} {})",
                    view.period,
                    lang.pick("对比", "against"),
                    view.previous
                );
                println!("{}", table(&view, r));
                let risers: Vec<String> = r
                    .risers
                    .iter()
                    .map(|t| {
                        format!(
                            "{} +{} ({})",
                            t.category.as_deref().unwrap_or("-"),
                            t.delta(),
                            view.change_words(t)
                        )
                    })
                    .collect();
                if !risers.is_empty() {
                    println!(
                        "{}: {}",
                        lang.pick("上升最快", "Biggest risers"),
                        risers.join(", ")
                    );
                }
                println!();
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Rank, category, volume, previous, change (rises red: more demand to look into).
fn table(v: &TopicsView, r: &Ranking) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let l = |zh, en| v.lang.pick(zh, en);
    t.set_header(vec![
        l("排名", "Rank"),
        l("分类", "Category"),
        l("数量", "Volume"),
        l("占比", "Share"),
        l("上期", "Previous"),
        l("变化", "Change"),
    ]);
    for (i, topic) in r.topics.iter().take(v.limit).enumerate() {
        let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
        let mut change = right(v.change_words(topic));
        if topic.delta() > 0.0 {
            change = change.fg(Color::Red);
        } else if topic.delta() < 0.0 {
            change = change.fg(Color::Green);
        }
        t.add_row(vec![
            right((i + 1).to_string()),
            Cell::new(topic.category.as_deref().unwrap_or("-")),
            right(format!("{}", topic.volume)),
            right(format!("{:.1}%", topic.share * 100.0)),
            right(format!("{}", topic.previous)),
            change,
        ]);
    }
    t
}

/// `ccpulse channels`.
pub fn channels(cfg: &Config, a: ChannelsArgs) -> Done {
    use ccpulse_metrics::{human, Unit};
    use ccpulse_report::channels::{build, channel_words};
    let lang = Lang::parse(&lang_of(cfg, a.lang.as_deref())?);
    let store = open(cfg)?;
    let tenant = known_tenant(&store, &a.tenant)?;
    let period = Period::parse(&a.period)?;
    let view = build(&store, &store.catalog()?, &tenant, &period, &[], lang)?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&view.to_json())?),
        Format::Csv => print!("{}", view.to_csv()?),
        Format::Table => {
            let section = view.section();
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED);
            if let Some(table) = &section.table {
                t.set_header(table.columns.iter().map(|c| c.label.clone()));
            }
            for r in &view.rows {
                let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
                t.add_row(vec![
                    Cell::new(channel_words(&r.channel, lang)),
                    right(human(Some(r.requests), Unit::Count)),
                    right(human(view.request_share(r), Unit::Ratio)),
                    right(human(r.resolution_rate, Unit::Ratio)),
                    right(human(r.satisfaction, Unit::Ratio)),
                    right(human(r.aht, Unit::Seconds)),
                    right(human(view.cost_share(r), Unit::Ratio)),
                ]);
            }
            println!("{}", section.heading);
            println!("{t}");
            for p in section.paragraphs.iter().skip(1) {
                println!("{p}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
