//! The explore page's questions, timed through the HTTP API on loopback against the bench's
//! store: a month x queue view of 10 metrics over the year, drill-down pages of 50 contacts
//! (different cells, sorts and offsets), and the requests of the page's first render (its HTML
//! and script, then tenants, catalog and templates, then the view and its total).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ccpulse_server::{ServerOptions, SystemClock};
use ccpulse_store::{DuckDbStore, User};
use serde_json::{json, Value};

const TOKEN: &str = "explore-bench-token";
const VIEW_METRICS: &str =
    "offered,answered,abandoned,answer_rate,service_level,asa,avg_wait,aht,satisfaction,fcr";
const QUEUES: [&str; 4] = ["general", "vip", "credit_card", "complaints"];

/// The p50 and p95 of `times`.
fn percentiles(times: &mut [Duration]) -> (f64, f64) {
    times.sort();
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times[i].as_secs_f64()
    };
    (at(0.5), at(0.95))
}

fn get(agent: &ureq::Agent, url: &str) -> anyhow::Result<Vec<u8>> {
    let mut res = agent
        .get(url)
        .header("authorization", &format!("Bearer {TOKEN}"))
        .call()?;
    let status = res.status();
    let body = res.body_mut().with_config().limit(64 << 20).read_to_vec()?;
    anyhow::ensure!(
        status.is_success(),
        "{url}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    Ok(body)
}

/// Times `runs` rounds of each explore question; the store is handed to a server on loopback.
pub fn time_explore(
    store: DuckDbStore,
    runs: usize,
    say: &dyn Fn(String),
) -> anyhow::Result<Value> {
    store.put_user(&User {
        name: "explore-bench".into(),
        role: "viewer".into(),
        password_hash: ccpulse_server::auth::hash_password("explore-bench-password")
            .map_err(anyhow::Error::msg)?,
        tenants: None,
        ..Default::default()
    })?;
    store.add_token(
        &ccpulse_server::auth::secret_hash(TOKEN),
        "explore-bench",
        None,
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = runtime.block_on(async {
        let state = ccpulse_server::start(store, ServerOptions::default(), Arc::new(SystemClock))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(ccpulse_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        anyhow::Ok((addr, server))
    })?;
    let base = format!("http://{addr}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let measured = (|| -> anyhow::Result<Value> {
        // Warm: the first question of a fresh server reads the columns from disk.
        let view = format!(
            "{base}/api/v1/kpi?tenant=bench&metrics={VIEW_METRICS}&by=month,queue&from=2021-01-01&to=2022-01-01"
        );
        let rows = serde_json::from_slice::<Value>(&get(&agent, &view)?)?["rows"]
            .as_array()
            .map_or(0, Vec::len);
        let mut view_t = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            get(&agent, &view)?;
            view_t.push(t.elapsed());
        }
        let mut drill_t = Vec::new();
        let mut total = 0;
        for i in 0..runs {
            let sort = ["", "&sort=-wait_s", "&sort=agent", "&sort=-time"][i % 4];
            let url = format!(
                "{base}/api/v1/contacts?tenant=bench&metric=abandoned&from=2021-{:02}-01&to=2021-{:02}-01&filter=queue={}&limit=50&offset={}{sort}",
                i % 11 + 1,
                i % 11 + 2,
                QUEUES[i % QUEUES.len()],
                (i % 3) * 50
            );
            let t = Instant::now();
            let body = get(&agent, &url)?;
            drill_t.push(t.elapsed());
            total += serde_json::from_slice::<Value>(&body)?["rows"]
                .as_array()
                .map_or(0, Vec::len);
        }
        let mut first_t = Vec::new();
        let html = String::from_utf8(get(&agent, &format!("{base}/explore"))?)?;
        let script = html
            .split("src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .context("the explore page names its script")?
            .to_owned();
        for _ in 0..runs {
            let t = Instant::now();
            get(&agent, &format!("{base}/explore"))?;
            get(&agent, &format!("{base}{script}"))?;
            get(&agent, &format!("{base}/api/v1/tenants"))?;
            get(&agent, &format!("{base}/api/v1/metrics?tenant=bench"))?;
            get(&agent, &format!("{base}/api/v1/templates?tenant=bench"))?;
            let default = "offered,answered,abandoned,answer_rate,service_level,asa";
            get(&agent, &format!("{base}/api/v1/kpi?tenant=bench&metrics={default}&by=day&fill=true&from=2021-06-01&to=2021-07-01"))?;
            get(&agent, &format!("{base}/api/v1/kpi?tenant=bench&metrics={default}&from=2021-06-01&to=2021-07-01"))?;
            first_t.push(t.elapsed());
        }
        let (v50, v95) = percentiles(&mut view_t);
        let (d50, d95) = percentiles(&mut drill_t);
        let (f50, f95) = percentiles(&mut first_t);
        say(format!(
            "explore API: month x queue view of 10 metrics p50 {v50:.3} s p95 {v95:.3} s ({rows} rows); \
             drill-down page of 50 p50 {d50:.3} s p95 {d95:.3} s; first render's requests p50 {f50:.3} s p95 {f95:.3} s"
        ));
        Ok(json!({
            "runs": runs,
            "view_rows": rows,
            "view_p50_seconds": v50, "view_p95_seconds": v95,
            "drill_p50_seconds": d50, "drill_p95_seconds": d95, "drill_rows": total,
            "first_render_p50_seconds": f50, "first_render_p95_seconds": f95,
        }))
    })();
    let _ = stop.send(());
    let _ = runtime.block_on(server);
    measured
}
