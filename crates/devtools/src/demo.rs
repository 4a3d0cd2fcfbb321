//! A realistic synthetic contact center, for `ccpulse demo` and `ccpulse bench`.
//!
//! Arrivals follow a daily curve (morning and afternoon peaks, quiet nights) and a weekly one
//! (weekends lighter); some contacts finish in the IVR, some abandon (impatience grows with
//! the wait), agents talk for a log-normal time, answered callers are offered a survey, and a
//! share of traffic is outbound telemarketing.

use ccpulse_model::{
    BusinessType, Channel, Contact, Direction, Outcome, Survey, SurveyScore, TenantId,
};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The queues (skill groups) of the demo center: name, share of inbound, mean talk seconds.
/// Complaints are a small share, as in a real center: 5 % of calls go to the complaints
/// queue and a third of those become tickets, so tickets are 1.5-2 % of contacts.
const QUEUES: &[(&str, f64, f64)] = &[
    ("general", 0.50, 170.0),
    ("credit_card", 0.27, 220.0),
    ("vip", 0.10, 260.0),
    ("complaints", 0.05, 330.0),
    ("online_chat", 0.08, 300.0),
];
const CATEGORIES: &[(&str, &str, BusinessType)] = &[
    ("mobile", "mobile/plan-fees", BusinessType::Consultation),
    ("mobile", "mobile/balance", BusinessType::Query),
    ("mobile", "mobile/order", BusinessType::Transaction),
    // A fault report is a request for service, not a complaint about it.
    ("broadband", "broadband/fault", BusinessType::Query),
    ("broadband", "broadband/install", BusinessType::Transaction),
    ("card", "card/limit", BusinessType::Consultation),
    ("card", "card/bill", BusinessType::Query),
    ("card", "card/service", BusinessType::Suggestion),
];

/// Display names of the demo's codes, written as `<data>/labels.toml` when a data directory
/// has none (reports then show 宽带故障, not `broadband/fault`).
pub const DEMO_NAMES: &str = r#"# Display names of the codes in the data: code = ["中文名", "English name"].
# A tenant's own names go under [tenant.NAME.names].
[names]
mobile = ["移动业务", "Mobile"]
broadband = ["宽带业务", "Broadband"]
card = ["信用卡", "Credit card"]
"mobile/plan-fees" = ["套餐资费", "Plan fees"]
"mobile/balance" = ["余额查询", "Balance"]
"mobile/order" = ["业务办理", "Orders"]
"broadband/fault" = ["宽带故障", "Broadband fault"]
"broadband/install" = ["宽带装机", "Broadband installation"]
"card/limit" = ["信用卡额度", "Card limit"]
"card/bill" = ["信用卡账单", "Card bill"]
"card/service" = ["信用卡服务", "Card service"]
outage = ["断网", "Outage"]
speed = ["网速", "Speed"]
billing = ["计费", "Billing"]
attitude = ["服务态度", "Attitude"]
general = ["综合服务", "General"]
credit_card = ["信用卡服务组", "Credit card desk"]
vip = ["贵宾服务", "VIP"]
complaints = ["投诉处理", "Complaints"]
online_chat = ["在线客服", "Online chat"]
"#;

/// Writes [`DEMO_NAMES`] into `dir` unless it has its own names file.
pub fn write_demo_names(dir: &std::path::Path) -> std::io::Result<()> {
    let path = dir.join("labels.toml");
    if path.exists() {
        return Ok(());
    }
    std::fs::write(path, DEMO_NAMES)
}

/// Relative arrival intensity per hour of day (index 0..24).
const HOURLY: [f64; 24] = [
    0.05, 0.03, 0.02, 0.02, 0.02, 0.04, 0.10, 0.30, 0.75, 1.00, 1.00, 0.90, 0.60, 0.70, 0.90, 0.95,
    0.85, 0.70, 0.55, 0.50, 0.45, 0.35, 0.20, 0.10,
];

/// Generates contacts for a tenant, deterministically from a seed.
pub struct Generator {
    rng: SmallRng,
    tenant: TenantId,
    tz: TimeZone,
    seq: u64,
}

fn secs(s: f64) -> SignedDuration {
    SignedDuration::from_secs_f64(s.max(0.0))
}

impl Generator {
    /// A generator for `tenant` whose local times are in `tz`.
    pub fn new(tenant: TenantId, tz: TimeZone, seed: u64) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(seed),
            tenant,
            tz,
            seq: 0,
        }
    }

    fn exp(&mut self, mean: f64) -> f64 {
        let u: f64 = self.rng.random_range(f64::EPSILON..1.0);
        -mean * u.ln()
    }

    fn lognormal(&mut self, mean: f64) -> f64 {
        // Box-Muller normal, sigma 0.6, scaled so the mean is `mean`.
        let u1: f64 = self.rng.random_range(f64::EPSILON..1.0);
        let u2: f64 = self.rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let sigma = 0.6;
        mean * (sigma * z - sigma * sigma / 2.0).exp()
    }

    /// Expected contacts on `date` for a center of `daily` contacts on a busy weekday.
    fn day_volume(&mut self, date: Date, daily: f64) -> u64 {
        let weekday = date.weekday().to_monday_one_offset();
        let factor = match weekday {
            1 => 1.15,
            6 => 0.55,
            7 => 0.45,
            _ => 1.0,
        };
        let noise: f64 = self.rng.random_range(0.9..1.1);
        (daily * factor * noise).round().max(0.0) as u64
    }

    /// Every contact of one local day, about `daily` on a weekday.
    pub fn day(&mut self, date: Date, daily: f64) -> Vec<Contact> {
        let n = self.day_volume(date, daily);
        let total: f64 = HOURLY.iter().sum();
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            // Pick an hour by the daily curve, then a uniform second inside it.
            let mut pick = self.rng.random_range(0.0..total);
            let mut hour = 0;
            for (h, w) in HOURLY.iter().enumerate() {
                if pick < *w {
                    hour = h;
                    break;
                }
                pick -= w;
            }
            let second: f64 = self.rng.random_range(0.0..3600.0);
            let local = date.to_datetime(jiff::civil::time(hour as i8, 0, 0, 0));
            out.push(self.contact(local, second, hour));
        }
        out.sort_by_key(|c| c.arrived_at);
        out
    }

    /// One contact arriving at `start` (for the live simulator).
    pub fn contact_at(&mut self, start: Timestamp) -> Contact {
        let local = start.to_zoned(self.tz.clone()).datetime();
        let hour = usize::try_from(local.hour()).unwrap_or(0);
        let top = local
            .with()
            .minute(0)
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .unwrap_or(local);
        let second = (start.as_millisecond()
            - self
                .tz
                .to_ambiguous_timestamp(top)
                .compatible()
                .unwrap_or(start)
                .as_millisecond()) as f64
            / 1000.0;
        self.contact(top, second, hour)
    }

    /// Relative arrival intensity at a local hour (0..24).
    pub fn intensity(hour: usize) -> f64 {
        HOURLY.get(hour).copied().unwrap_or(0.5)
    }

    /// A queue by its share of the traffic: (name, share, mean talk seconds).
    fn pick_queue(&mut self) -> (&'static str, f64, f64) {
        let mut pick: f64 = self.rng.random();
        for q in QUEUES {
            if pick < q.1 {
                return *q;
            }
            pick -= q.1;
        }
        QUEUES[0]
    }

    /// A Chinese mobile number.
    fn phone_number(&mut self) -> String {
        format!(
            "1{}{:08}",
            [38, 39, 58, 86][self.rng.random_range(0..4)],
            self.rng.random_range(0..100_000_000u64)
        )
    }

    fn contact(&mut self, local_hour: DateTime, second: f64, hour: usize) -> Contact {
        self.seq += 1;
        let start = self
            .tz
            .to_ambiguous_timestamp(local_hour)
            .compatible()
            .unwrap_or(Timestamp::UNIX_EPOCH)
            + secs(second);
        let id = format!("{}-{:09}", self.tenant, self.seq);
        let roll: f64 = self.rng.random();
        if roll < 0.06 {
            return self.outbound(id, start);
        }
        let mut c = Contact::new(
            self.tenant.clone(),
            id,
            Direction::Inbound,
            Outcome::Answered,
        );
        let q = self.pick_queue();
        c.queue = Some(q.0.to_owned());
        c.channel = if q.0 == "online_chat" {
            Channel::Chat
        } else {
            Channel::Voice
        };
        c.source = (c.channel == Channel::Chat)
            .then(|| ["web", "app", "wechat"][self.rng.random_range(0..3)].to_owned());
        c.entry_point = Some(
            if c.channel == Channel::Chat {
                "chat-main"
            } else {
                "4008001234"
            }
            .to_owned(),
        );
        c.customer = Some(self.phone_number());
        // As an import would: the region of the caller's number.
        c.region = c
            .customer
            .as_deref()
            .and_then(ccpulse_ingest::region::region_of_phone)
            .map(str::to_owned);
        let (line, cat, bt) = CATEGORIES[self.rng.random_range(0..CATEGORIES.len())];
        c.business_line = Some(line.to_owned());
        c.category = Some(cat.to_owned());
        c.business_type = Some(if q.0 == "complaints" {
            BusinessType::Complaint
        } else {
            bt
        });
        c.arrived_at = Some(start);
        let ivr = if c.channel == Channel::Voice {
            8.0 + self.exp(25.0)
        } else {
            0.0
        };
        if c.channel == Channel::Voice {
            c.ivr_start = Some(start);
            c.ivr_end = Some(start + secs(ivr));
        }
        // Finished in the IVR.
        if c.channel == Channel::Voice && self.rng.random::<f64>() < 0.28 {
            c.outcome = Outcome::SelfService;
            c.ended_at = c.ivr_end;
            return c;
        }
        let queued = start + secs(ivr);
        c.queued_at = Some(queued);
        // Busier hours wait longer.
        let load = HOURLY[hour];
        let wait = self.exp(3.0 + 18.0 * load * load);
        let patience = self.exp(180.0);
        if patience < wait {
            let abandon = patience;
            c.outcome = if self.rng.random::<f64>() < 0.15 {
                Outcome::AbandonedRing
            } else {
                Outcome::Abandoned
            };
            c.ended_at = Some(queued + secs(abandon));
            return c;
        }
        let agent_no = self.rng.random_range(1..=24);
        c.agent = Some(format!("a{agent_no:03}"));
        let answered = queued + secs(wait);
        c.ring_start = Some(answered - secs(wait.min(self.rng.random_range(2.0..8.0))));
        c.answered_at = Some(answered);
        let talk = self.lognormal(q.2);
        let ended = answered + secs(talk);
        c.ended_at = Some(ended);
        c.wrap_up_end = Some(ended + secs(5.0 + self.exp(20.0)));
        c.hold_s = if self.rng.random::<f64>() < 0.15 {
            self.exp(40.0).round()
        } else {
            0.0
        };
        c.resolved_first = Some(self.rng.random::<f64>() < 0.86);
        if self.rng.random::<f64>() < 0.08 {
            c.transfers = 1;
            c.transfer_target = Some("complaints".into());
            c.transfer_correct = Some(self.rng.random::<f64>() < 0.94);
        }
        if self.rng.random::<f64>() < 0.10 {
            c.marketing_attempts = 1;
            c.marketing_successes = u32::from(self.rng.random::<f64>() < 0.35);
        }
        if self.rng.random::<f64>() < 0.05 {
            c.qa_score = Some(f64::from(self.rng.random_range(78..=100)));
        }
        if self.rng.random::<f64>() < 0.65 {
            let r: f64 = self.rng.random();
            // Long waits cost satisfaction.
            let penalty = (wait / 300.0).min(0.3);
            let score = if r < 0.30 {
                None
            } else if r < 0.86 - penalty {
                Some(SurveyScore::VerySatisfied)
            } else if r < 0.965 - penalty / 2.0 {
                Some(SurveyScore::Satisfied)
            } else if r < 0.99 {
                Some(SurveyScore::Neutral)
            } else {
                Some(SurveyScore::Dissatisfied)
            };
            let reason = (score == Some(SurveyScore::Dissatisfied)).then(|| {
                ["service_attitude", "not_resolved", "long_wait"][self.rng.random_range(0..3)]
                    .to_owned()
            });
            c.survey = Some(Survey {
                offered: true,
                score,
                reason,
                rating: None,
            });
        }
        c
    }

    fn outbound(&mut self, id: String, start: Timestamp) -> Contact {
        let connected = self.rng.random::<f64>() < 0.62;
        let outcome = if connected {
            Outcome::Answered
        } else {
            Outcome::NotConnected
        };
        let mut c = Contact::new(self.tenant.clone(), id, Direction::Outbound, outcome);
        c.queue = Some("outbound".into());
        c.campaign = Some("2026-upgrade".into());
        c.agent = Some(format!("a{:03}", self.rng.random_range(1..=24)));
        c.customer = Some(format!(
            "139{:08}",
            self.rng.random_range(0..100_000_000u64)
        ));
        c.business_type = Some(BusinessType::Marketing);
        c.arrived_at = Some(start);
        let ring = 5.0 + self.exp(10.0);
        c.ring_start = Some(start);
        if connected {
            let answered = start + secs(ring);
            c.answered_at = Some(answered);
            let ended = answered + secs(self.lognormal(95.0));
            c.ended_at = Some(ended);
            c.wrap_up_end = Some(ended + secs(10.0));
            c.marketing_attempts = 1;
            c.marketing_successes = u32::from(self.rng.random::<f64>() < 0.18);
        } else {
            c.ended_at = Some(start + secs(ring));
        }
        c
    }
}

/// A ticket for a complaint contact of the demo center: few are found valid,
/// a few are escalated (to the regulator, the media), most are closed within three days, a
/// customer complains again about the same thing now and then (a repeat).
pub fn complaint_ticket(c: &Contact) -> Option<ccpulse_model::Ticket> {
    if c.business_type != Some(BusinessType::Complaint) {
        return None;
    }
    let created = c.ended_at.or(c.arrived_at)?;
    // Decisions from the contact's id, so re-running the demo gives the same tickets.
    let h = ccpulse_ingest::fingerprint(&[c.id.as_bytes()]);
    let roll = |k: u32| (h >> (k * 8)) % 100;
    // A third of complaint calls become tickets (the rest are resolved on the call).
    if roll(0) % 3 != 0 {
        return None;
    }
    let leaf =
        ["outage", "speed", "billing", "attitude"][usize::try_from(roll(1) % 4).unwrap_or(0)];
    let line = c
        .business_line
        .clone()
        .unwrap_or_else(|| "broadband".into());
    Some(ccpulse_model::Ticket {
        tenant: c.tenant.clone(),
        id: format!("t-{}", c.id),
        kind: ccpulse_model::TicketKind::Complaint,
        contact_id: Some(c.id.clone()),
        // One customer in five is a regular who comes back about the same leaf.
        customer: if roll(2) < 20 {
            Some(format!("1380000{:04}", roll(3) * 7 % 50))
        } else {
            c.customer.clone()
        },
        category: Some(format!("{line}/{leaf}")),
        business_line: Some(line),
        channel: Some(c.channel.as_str().to_owned()),
        created_at: created,
        closed_at: (roll(4) < 85).then(|| created + secs(3600.0 * (4 + roll(5) % 68) as f64)),
        // Few are found to be the center's fault (投诉成立).
        valid: Some(roll(6) < 2),
        escalated: roll(7) < 3,
        escalated_via: (roll(7) < 3).then(|| {
            ["regulator", "media", "government"][usize::try_from(roll(5) % 3).unwrap_or(0)]
                .to_owned()
        }),
        refund: (roll(1) < 10).then(|| (roll(2) * 3) as f64),
        satisfaction: (roll(3) < 60).then(|| {
            if roll(5) < 80 {
                ccpulse_model::SurveyScore::Satisfied
            } else {
                ccpulse_model::SurveyScore::Dissatisfied
            }
        }),
    })
}

/// The demo center's subscriber base in `month`: three business lines growing slowly.
pub fn subscribers(tenant: &TenantId, month: jiff::civil::Date) -> Vec<ccpulse_model::Subscribers> {
    let m = i64::from(month.year()) * 12 + i64::from(month.month());
    [
        ("mobile", 1_200_000u64, 900i64),
        ("broadband", 400_000, 300),
        ("card", 250_000, -120),
    ]
    .iter()
    .map(|(line, base, step)| ccpulse_model::Subscribers {
        tenant: tenant.clone(),
        month: format!("{}-{:02}", month.year(), month.month()),
        business_line: (*line).to_owned(),
        subscribers: u64::try_from(i64::try_from(*base).unwrap_or(0) + step * (m - 24_300))
            .unwrap_or(0),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weekday_has_its_volume_and_every_contact_is_valid() {
        let tz = TimeZone::get("Asia/Shanghai").expect("tz");
        let mut g = Generator::new(TenantId::new("demo").expect("t"), tz, 7);
        let day = g.day(jiff::civil::date(2026, 11, 18), 1000.0);
        assert!((850..=1150).contains(&day.len()), "{}", day.len());
        for c in &day {
            let line = ccpulse_ingest::to_json_line(c);
            ccpulse_ingest::parse_contact_line(line.as_bytes(), 1, None).expect("valid contact");
        }
        let abandoned = day
            .iter()
            .filter(|c| c.outcome == Outcome::Abandoned)
            .count();
        assert!(abandoned > 5, "abandons exist: {abandoned}");
    }

    /// Complaints are 0.5-2 % of contacts, as in a real center, and every day of a month,
    /// weekends included, has traffic.
    #[test]
    fn complaints_are_a_small_share_and_every_day_has_traffic() {
        let tz = TimeZone::get("Asia/Shanghai").expect("tz");
        let mut g = Generator::new(TenantId::new("demo").expect("t"), tz, 11);
        let (mut contacts, mut tickets) = (0usize, 0usize);
        for d in 1..=30 {
            let day = g.day(jiff::civil::date(2026, 11, d), 1000.0);
            assert!(day.len() > 200, "2026-11-{d:02} has {} contacts", day.len());
            contacts += day.len();
            tickets += day.iter().filter_map(complaint_ticket).count();
        }
        #[allow(clippy::cast_precision_loss)]
        let share = tickets as f64 / contacts as f64;
        assert!(
            (0.005..=0.02).contains(&share),
            "complaints are {:.2} % of contacts",
            share * 100.0
        );
    }
}
