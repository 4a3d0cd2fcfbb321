//! Asterisk's `queue_log` (also written by FreeSWITCH's mod_callcenter bridges, Wazo, Issabel
//! and VICIdial): `epoch|callid|queue|agent|event|data1|data2|...`.
//!
//! Parsing ([`parse_queue_log_line`]) turns one line into a [`QlEvent`]. Assembly
//! ([`assemble`]) turns the events of a file (in any line order: Asterisk writes some lines out
//! of time order) into contacts, one per stint of a call in a queue, and agent state intervals:
//!
//! - a stint starts at ENTERQUEUE and ends at the queue's own exit word; its wait and talk come
//!   from the end event's fields (holdtime, calltime, waittime), not from timestamps;
//! - FULL, JOINEMPTY, CLOSED and the DIVERT_* words are stints of their own (refused at the
//!   door: no wait);
//! - an end whose ENTERQUEUE is not in the file (a rotated log) is rebuilt from its own fields,
//!   entered at end − talk − wait, as Wazo does;
//! - an ENTERQUEUE whose end is not in the file stays open ([`OpenStint`]) until a later file
//!   brings it.
//!
//! Agent intervals: login sessions (a logoff carries the session's length, so a session is
//! `[logoff − length, logoff)`; a login not followed by a logoff stays open), pauses (from the
//! first PAUSE/PAUSEALL of a run to the next UNPAUSE/UNPAUSEALL, with its reason), calls
//! (`busy`, answer to end) and wrap-up (WRAPUPSTART + its seconds).

use std::collections::{BTreeMap, HashMap};

use ccpulse_model::{
    AgentInterval, AgentState, Channel, Contact, Direction, OpenStint, Outcome, TenantId,
};
use jiff::{SignedDuration, Timestamp};
use smol_str::SmolStr;

use crate::contacts::contact_fingerprint;
use crate::Rejection;

macro_rules! verbs {
    ($($variant:ident = $word:literal),+ $(,)?) => {
        /// A queue_log event word. Unknown words are kept as [`Verb::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Verb { $($variant,)+ Other(String) }

        impl Verb {
            fn parse(word: &str) -> Verb {
                match word { $($word => Verb::$variant,)+ _ => Verb::Other(word.to_owned()) }
            }

            /// The word as Asterisk writes it.
            pub fn as_str(&self) -> &str {
                match self { $(Verb::$variant => $word,)+ Verb::Other(w) => w }
            }
        }
    };
}

verbs!(
    EnterQueue = "ENTERQUEUE",
    Connect = "CONNECT",
    CompleteCaller = "COMPLETECALLER",
    CompleteAgent = "COMPLETEAGENT",
    Abandon = "ABANDON",
    ExitWithTimeout = "EXITWITHTIMEOUT",
    ExitWithKey = "EXITWITHKEY",
    ExitEmpty = "EXITEMPTY",
    LeaveEmpty = "LEAVEEMPTY",
    JoinEmpty = "JOINEMPTY",
    Full = "FULL",
    Closed = "CLOSED",
    DivertCaRatio = "DIVERT_CA_RATIO",
    DivertHoldtime = "DIVERT_HOLDTIME",
    RingNoAnswer = "RINGNOANSWER",
    RingCanceled = "RINGCANCELED",
    Transfer = "TRANSFER",
    BlindTransfer = "BLINDTRANSFER",
    AttendedTransfer = "ATTENDEDTRANSFER",
    AgentCalled = "AGENTCALLED",
    AgentDump = "AGENTDUMP",
    AgentLogin = "AGENTLOGIN",
    AgentLogoff = "AGENTLOGOFF",
    AgentCallbackLogin = "AGENTCALLBACKLOGIN",
    AgentCallbackLogoff = "AGENTCALLBACKLOGOFF",
    AddMember = "ADDMEMBER",
    RemoveMember = "REMOVEMEMBER",
    Pause = "PAUSE",
    Unpause = "UNPAUSE",
    PauseAll = "PAUSEALL",
    UnpauseAll = "UNPAUSEALL",
    WrapupStart = "WRAPUPSTART",
    QueueStart = "QUEUESTART",
    ConfigReload = "CONFIGRELOAD",
    SysCompat = "SYSCOMPAT",
);

/// One parsed queue_log line.
#[derive(Debug, Clone, PartialEq)]
pub struct QlEvent {
    pub line: u64,
    pub at: Timestamp,
    /// The epoch as written (kept for contact ids).
    pub epoch: SmolStr,
    pub call_id: SmolStr,
    /// `None` for `NONE` or empty.
    pub queue: Option<SmolStr>,
    /// `None` for `NONE` or empty.
    pub agent: Option<SmolStr>,
    pub verb: Verb,
    /// data1|data2|... as written (`None` when the line ends at its event); short data is
    /// kept inline, so a line costs no allocation for it.
    pub data: Option<SmolStr>,
}

impl QlEvent {
    /// The line again, as Asterisk wrote it (for the quarantine).
    pub fn raw(&self) -> String {
        let mut s = String::new();
        self.write_head(&mut s);
        if let Some(d) = &self.data {
            s.push('|');
            s.push_str(d);
        }
        s
    }

    /// Writes the line's `epoch|call|queue|agent|verb`, without its data fields: what
    /// places a line in its call, where a fix changes only the data.
    pub fn write_head(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "{}|{}|{}|{}|{}",
            self.epoch,
            self.call_id,
            self.queue.as_deref().unwrap_or("NONE"),
            self.agent.as_deref().unwrap_or("NONE"),
            self.verb.as_str()
        );
    }

    /// `data[i]` (0-based: data1 is 0) as a non-negative number of seconds.
    fn seconds(&self, i: usize) -> Option<f64> {
        let v: f64 = self.field(i)?.trim().parse().ok()?;
        (v.is_finite() && v >= 0.0).then_some(v)
    }

    /// `data[i]` as written (0-based: data1 is 0).
    pub fn field(&self, i: usize) -> Option<&str> {
        self.data.as_deref()?.split('|').nth(i)
    }

    fn text(&self, i: usize) -> Option<String> {
        self.field(i)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }
}

fn none_if_empty(s: &str) -> Option<SmolStr> {
    let s = s.trim();
    (!s.is_empty() && s != "NONE").then(|| SmolStr::new(s))
}

/// Parses `1341129600.000001` (seconds since 1970, optional fraction) exactly.
fn parse_epoch(s: &str) -> Option<Timestamp> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.is_empty() || secs.len() > 12 || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let mut nanos: i64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        if i < 9 {
            nanos = nanos * 10 + i64::from(b - b'0');
        }
    }
    for _ in frac.len().min(9)..9 {
        nanos *= 10;
    }
    let nanos = i32::try_from(nanos).ok()?;
    Timestamp::new(secs, nanos).ok()
}

/// Parses one queue_log line.
pub fn parse_queue_log_line(bytes: &[u8], line: u64) -> Result<QlEvent, Rejection> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Rejection::new(
            line,
            None,
            format!("not UTF-8 (byte {} is invalid)", e.valid_up_to() + 1),
            bytes,
        )
    })?;
    let text = text.trim_end_matches(['\r', '\n']);
    let mut fields = text.splitn(6, '|');
    let epoch = fields.next().unwrap_or("").trim();
    let (Some(call_id), Some(queue), Some(agent), Some(verb), rest) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(Rejection::new(
            line,
            None,
            "expected at least 5 |-separated fields: epoch|callid|queue|agent|event",
            bytes,
        ));
    };
    let at = parse_epoch(epoch).ok_or_else(|| {
        Rejection::new(
            line,
            Some("epoch"),
            format!("`{epoch}` is not a time in seconds since 1970"),
            bytes,
        )
    })?;
    let verb = verb.trim();
    if verb.is_empty() {
        return Err(Rejection::new(line, Some("event"), "event is empty", bytes));
    }
    Ok(QlEvent {
        line,
        at,
        epoch: SmolStr::new(epoch),
        call_id: SmolStr::new(call_id.trim()),
        queue: none_if_empty(queue),
        agent: none_if_empty(agent),
        verb: Verb::parse(verb),
        data: rest.map(SmolStr::new),
    })
}

/// What [`assemble`] made of a file's events.
#[derive(Debug, Default)]
pub struct Assembled {
    /// One contact per closed stint, with its fingerprint, and whether it was rebuilt from
    /// its end alone (its ENTERQUEUE not read: stored only if the store lacks it).
    /// (Empty when they went to a sink: [`assemble_streaming`].)
    pub contacts: Vec<StintContact>,
    /// Events that could not be placed, with where and why.
    pub rejections: Vec<Rejection>,
    /// Stints still open at the end of the file.
    pub open: Vec<OpenStint>,
    /// Open stints given in that this file closed (to be removed from the store).
    pub closed_open: Vec<OpenStint>,
    /// Agent state intervals (open ones have no end).
    pub intervals: Vec<AgentInterval>,
    /// Open intervals given in that this file closed (their closed form is in `intervals`).
    pub closed_intervals: Vec<AgentInterval>,
    /// Lines with a word ccpulse does not know: kept, counted.
    pub unknown: Vec<QlEvent>,
}

/// How a stint left its queue.
struct Exit {
    outcome: Outcome,
    reason: &'static str,
}

fn exit_of(verb: &Verb) -> Option<Exit> {
    let (outcome, reason) = match verb {
        Verb::CompleteCaller => (Outcome::Answered, "completecaller"),
        Verb::CompleteAgent => (Outcome::Answered, "completeagent"),
        Verb::Transfer | Verb::BlindTransfer | Verb::AttendedTransfer => {
            (Outcome::Answered, "transfer")
        }
        Verb::Abandon => (Outcome::Abandoned, "abandon"),
        Verb::ExitWithTimeout => (Outcome::Timeout, "timeout"),
        Verb::ExitWithKey => (Outcome::Abandoned, "exitwithkey"),
        Verb::ExitEmpty | Verb::LeaveEmpty => (Outcome::Overflow, "exitempty"),
        Verb::JoinEmpty => (Outcome::Overflow, "joinempty"),
        Verb::Full => (Outcome::Overflow, "full"),
        Verb::Closed => (Outcome::Closed, "closed"),
        Verb::DivertCaRatio => (Outcome::Overflow, "divert_ca_ratio"),
        Verb::DivertHoldtime => (Outcome::Overflow, "divert_holdtime"),
        _ => return None,
    };
    Some(Exit { outcome, reason })
}

/// Refused at the door: a stint of its own, without an ENTERQUEUE.
fn is_refusal(verb: &Verb) -> bool {
    matches!(
        verb,
        Verb::JoinEmpty | Verb::Full | Verb::Closed | Verb::DivertCaRatio | Verb::DivertHoldtime
    )
}

/// The (wait, talk) an end event carries in its own fields; talk is `None` for unanswered.
/// `Err` names the field that is missing or bad.
fn end_fields(e: &QlEvent) -> Result<(Option<f64>, Option<f64>), &'static str> {
    let need = |i: usize, name: &'static str| e.seconds(i).ok_or(name);
    match e.verb {
        Verb::CompleteCaller | Verb::CompleteAgent => Ok((
            Some(need(0, "data1 (holdtime)")?),
            Some(need(1, "data2 (calltime)")?),
        )),
        Verb::Transfer | Verb::BlindTransfer => Ok((
            Some(need(2, "data3 (holdtime)")?),
            Some(need(3, "data4 (calltime)")?),
        )),
        Verb::AttendedTransfer => {
            if e.field(0) == Some("LINK") {
                Ok((
                    Some(need(3, "data4 (holdtime)")?),
                    Some(need(4, "data5 (calltime)")?),
                ))
            } else {
                Ok((
                    Some(need(2, "data3 (holdtime)")?),
                    Some(need(3, "data4 (calltime)")?),
                ))
            }
        }
        Verb::Abandon | Verb::ExitWithTimeout | Verb::ExitEmpty | Verb::LeaveEmpty => {
            Ok((e.seconds(2), None))
        }
        Verb::ExitWithKey => Ok((e.seconds(3), None)),
        _ => Ok((None, None)),
    }
}

fn transfer_target(e: &QlEvent) -> Option<String> {
    match e.verb {
        Verb::Transfer | Verb::BlindTransfer => match (e.text(0), e.text(1)) {
            (Some(x), Some(c)) => Some(format!("{x}@{c}")),
            (x, _) => x,
        },
        Verb::AttendedTransfer => match e.field(0) {
            Some("LINK") => e.text(2),
            _ => e.text(1),
        },
        _ => None,
    }
}

fn plus(t: Timestamp, secs: f64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs_f64(secs))
        .unwrap_or(t)
}

fn minus(t: Timestamp, secs: f64) -> Timestamp {
    t.checked_sub(SignedDuration::from_secs_f64(secs))
        .unwrap_or(t)
}

fn seconds(from: Timestamp, to: Timestamp) -> f64 {
    (to.as_microsecond() - from.as_microsecond()) as f64 / 1e6
}

/// The beginning of a stint: an ENTERQUEUE read now or an open stint from before.
struct Enter {
    epoch: SmolStr,
    at: Timestamp,
    customer: Option<String>,
    line: u64,
    /// The file it was read from, when not this one.
    file: Option<String>,
    from_store: Option<OpenStint>,
}

/// A stint's contact, its fingerprint, and whether it was rebuilt from its end alone.
pub type StintContact = (Contact, u64, bool);

/// Contacts handed over by [`assemble_streaming`] as they are made (from several threads).
pub type ContactSink<'s> = dyn Fn(Vec<StintContact>) + Sync + 's;

/// Contacts per hand-over to a [`ContactSink`].
const SINK_CHUNK: usize = 4096;

struct Builder<'a, 's> {
    tenant: &'a TenantId,
    out: Assembled,
    sink: Option<&'a ContactSink<'s>>,
}

impl Builder<'_, '_> {
    fn contact(&self, call_id: &str, queue: &str, id_time: &str, exit: &Exit) -> Contact {
        let mut c = Contact::new(
            self.tenant.clone(),
            format!("{call_id}/{queue}/{id_time}"),
            Direction::Inbound,
            exit.outcome,
        );
        c.channel = Channel::Voice;
        c.source = Some("queue_log".into());
        c.queue = Some(queue.to_owned());
        c.call_id = Some(call_id.to_owned());
        c.exit_reason = Some(exit.reason.to_owned());
        c
    }

    fn push(&mut self, c: Contact, rebuilt: bool) {
        let fp = contact_fingerprint(&c);
        self.out.contacts.push((c, fp, rebuilt));
        if self.out.contacts.len() >= SINK_CHUNK {
            self.hand_over();
        }
    }

    /// Gives the contacts made so far to the sink, if there is one.
    fn hand_over(&mut self) {
        if let Some(sink) = self.sink {
            sink(std::mem::replace(
                &mut self.out.contacts,
                Vec::with_capacity(SINK_CHUNK),
            ));
        }
    }

    fn reject(&mut self, e: &QlEvent, field: Option<&str>, reason: String) {
        self.out
            .rejections
            .push(Rejection::new(e.line, field, reason, e.raw().as_bytes()));
    }

    /// A stint refused at the door.
    fn refusal(&mut self, e: &QlEvent, queue: &str) {
        let Some(exit) = exit_of(&e.verb) else { return };
        let mut c = self.contact(&e.call_id, queue, &e.epoch, &exit);
        c.arrived_at = Some(e.at);
        c.ended_at = Some(e.at);
        self.push(c, false);
    }

    /// A stint from `enter` (or rebuilt from the end alone) to `end`.
    fn stint(
        &mut self,
        queue: &str,
        enter: Option<&Enter>,
        end: &QlEvent,
        connect: Option<&QlEvent>,
    ) {
        let Some(exit) = exit_of(&end.verb) else {
            return;
        };
        let (wait, talk) = match end_fields(end) {
            Ok(x) => x,
            Err(field) => {
                self.reject(
                    end,
                    Some(field),
                    format!("{} without a number in {field}", end.verb.as_str()),
                );
                return;
            }
        };
        let answered = exit.outcome == Outcome::Answered;
        // Wait from the fields; for unanswered ends that lack it, from the times.
        let wait = match (wait, enter) {
            (Some(w), _) => w,
            (None, Some(en)) if !answered => {
                let w = seconds(en.at, end.at);
                if exit.reason == "exitempty" {
                    w.trunc().max(0.0)
                } else {
                    w.max(0.0)
                }
            }
            _ => {
                self.reject(
                    end,
                    Some("data"),
                    format!(
                        "{} of call {} in queue {queue} cannot be placed: no ENTERQUEUE in this \
                         file or before it, and no wait time in its fields",
                        end.verb.as_str(),
                        end.call_id
                    ),
                );
                return;
            }
        };
        let talk = talk.unwrap_or(0.0);
        let queued_at = match enter {
            Some(en) => en.at,
            None => minus(end.at, talk + wait),
        };
        // Known by its end, which every reading of the call has, with or without its entry.
        let id_time = format!("end-{}", end.epoch);
        let mut c = self.contact(&end.call_id, queue, &id_time, &exit);
        c.arrived_at = Some(queued_at);
        c.queued_at = Some(queued_at);
        c.customer = enter.and_then(|en| en.customer.clone());
        c.region = c
            .customer
            .as_deref()
            .and_then(crate::region::region_of_phone)
            .map(str::to_owned);
        if answered {
            let answered_at = plus(queued_at, wait);
            c.answered_at = Some(answered_at);
            c.ended_at = Some(plus(answered_at, talk));
            c.agent = end
                .agent
                .as_ref()
                .or_else(|| connect.and_then(|k| k.agent.as_ref()))
                .map(SmolStr::to_string)
                .or_else(|| enter.and_then(|en| en.from_store.as_ref()?.agent.clone()));
            let ring = connect
                .and_then(|k| k.seconds(2))
                .or_else(|| enter.and_then(|en| en.from_store.as_ref()?.ring_s));
            if let Some(r) = ring {
                c.ring_start = Some(minus(answered_at, r.min(wait)));
            }
            if matches!(
                end.verb,
                Verb::Transfer | Verb::BlindTransfer | Verb::AttendedTransfer
            ) {
                c.transfers = 1;
                c.transfer_target = transfer_target(end);
            }
            if let Some(agent) = c.agent.clone() {
                self.out.intervals.push(AgentInterval {
                    tenant: self.tenant.clone(),
                    agent,
                    state: AgentState::Busy,
                    reason: None,
                    queue: Some(queue.to_owned()),
                    start: answered_at,
                    end: c.ended_at,
                    source: "queue_log".into(),
                });
            }
        } else {
            c.ended_at = Some(plus(queued_at, wait));
        }
        self.push(c, enter.is_none());
    }
}

/// Assembles the events of one file. `open_stints` and `open_intervals` are what earlier
/// files left open for this tenant; what this file closes of them comes back in
/// `closed_open` / `closed_intervals`.
pub fn assemble(
    tenant: &TenantId,
    file: &str,
    events: Vec<QlEvent>,
    open_stints: Vec<OpenStint>,
    open_intervals: &[AgentInterval],
) -> Assembled {
    assemble_into(tenant, file, events, open_stints, open_intervals, None)
}

/// [`assemble`], handing the contacts to `sink` a few thousand at a time as they are made (in
/// the same order), so that they can be written while the rest is assembled. The result has
/// everything else.
pub fn assemble_streaming(
    tenant: &TenantId,
    file: &str,
    events: Vec<QlEvent>,
    open_stints: Vec<OpenStint>,
    open_intervals: &[AgentInterval],
    sink: &ContactSink<'_>,
) -> Assembled {
    assemble_into(
        tenant,
        file,
        events,
        open_stints,
        open_intervals,
        Some(sink),
    )
}

fn assemble_into(
    tenant: &TenantId,
    file: &str,
    events: Vec<QlEvent>,
    open_stints: Vec<OpenStint>,
    open_intervals: &[AgentInterval],
    sink: Option<&ContactSink<'_>>,
) -> Assembled {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let shards = if events.len() < 30_000 { 1 } else { threads };
    assemble_in_shards(
        tenant,
        file,
        events,
        open_stints,
        open_intervals,
        sink,
        shards,
    )
}

fn assemble_in_shards(
    tenant: &TenantId,
    file: &str,
    events: Vec<QlEvent>,
    open_stints: Vec<OpenStint>,
    open_intervals: &[AgentInterval],
    sink: Option<&ContactSink<'_>>,
    shards: usize,
) -> Assembled {
    let mut b = Builder {
        tenant,
        out: Assembled::default(),
        sink,
    };
    // Stints of different calls, and agents' own events, do not depend on each other: calls
    // are split into shards by their id, each shard assembled on a core of its own, and the
    // agents on another; each group and agent is put in time order (ties in line order) by
    // itself, which is all the order assembly needs.
    let shards = shards.max(1);
    let shard_of = |call_id: &str| {
        use std::hash::BuildHasher as _;
        let h = foldhash::fast::FixedState::with_seed(0x0c_a11).hash_one(call_id);
        usize::try_from(h % shards as u64).unwrap_or(0)
    };
    let mut stint_events: Vec<Vec<&QlEvent>> = vec![Vec::new(); shards];
    let mut agent_events: Vec<&QlEvent> = Vec::new();
    for e in &events {
        if let Verb::Other(_) = e.verb {
            b.out.unknown.push(e.clone());
            continue;
        }
        if matches!(
            e.verb,
            Verb::AgentLogin
                | Verb::AgentLogoff
                | Verb::AgentCallbackLogin
                | Verb::AgentCallbackLogoff
                | Verb::AddMember
                | Verb::RemoveMember
                | Verb::Pause
                | Verb::Unpause
                | Verb::PauseAll
                | Verb::UnpauseAll
                | Verb::WrapupStart
        ) {
            agent_events.push(e);
            continue;
        }
        if !(matches!(e.verb, Verb::EnterQueue | Verb::Connect) || exit_of(&e.verb).is_some()) {
            continue;
        }
        if e.queue.is_none() {
            b.reject(
                e,
                Some("queue"),
                format!("{} without a queue", e.verb.as_str()),
            );
            continue;
        }
        stint_events[shard_of(&e.call_id)].push(e);
    }
    let mut stored: Vec<HashMap<(String, String), Vec<OpenStint>>> = vec![HashMap::new(); shards];
    for s in open_stints {
        stored[shard_of(&s.call_id)]
            .entry((s.call_id.clone(), s.queue.clone()))
            .or_default()
            .push(s);
    }

    let (stints, agents) = std::thread::scope(|scope| {
        let agent_part = scope.spawn(|| {
            let mut ab = Builder {
                tenant,
                out: Assembled::default(),
                sink: None,
            };
            agent_events.sort_unstable_by_key(|e| (e.at, e.line));
            agent_intervals(&mut ab, &agent_events, open_intervals);
            ab.out
        });
        let stint_parts: Vec<_> = stint_events
            .into_iter()
            .zip(stored)
            .map(|(shard, stored)| {
                scope.spawn(move || stints_of_shard(tenant, file, sink, &shard, stored))
            })
            .collect();
        let stints: Vec<Assembled> = stint_parts
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect();
        (stints, agent_part.join().unwrap_or_default())
    });
    for part in stints.into_iter().chain([agents]) {
        b.out.append(part);
    }
    // A million events take a while to free: not on the way to the caller.
    if events.len() > 100_000 {
        std::thread::spawn(move || drop(events));
    }
    b.out
}

/// Assembles the stints of one shard of calls (`events`, in line order), in the order of their
/// (call, queue) keys.
fn stints_of_shard(
    tenant: &TenantId,
    file: &str,
    sink: Option<&ContactSink<'_>>,
    events: &[&QlEvent],
    mut stored: HashMap<(String, String), Vec<OpenStint>>,
) -> Assembled {
    let mut groups: foldhash::HashMap<(&str, &str), Vec<&QlEvent>> =
        foldhash::HashMap::with_capacity_and_hasher(events.len() / 3, Default::default());
    for e in events {
        let queue = e.queue.as_deref().unwrap_or_default();
        groups
            .entry((e.call_id.as_str(), queue))
            .or_default()
            .push(e);
    }
    let mut work: Vec<Group<'_>> = groups
        .into_iter()
        .map(|(key, mut events)| {
            // Line numbers are unique: an unstable sort gives the one order.
            events.sort_unstable_by_key(|e| (e.at, e.line));
            Group {
                key,
                events,
                stored: if stored.is_empty() {
                    Vec::new()
                } else {
                    stored
                        .remove(&(key.0.to_owned(), key.1.to_owned()))
                        .unwrap_or_default()
                },
            }
        })
        .collect();
    work.sort_unstable_by_key(|g| g.key);
    let mut pb = Builder {
        tenant,
        out: Assembled::default(),
        sink,
    };
    for g in &work {
        pb.group(file, g);
    }
    pb.hand_over();
    pb.out
}

/// The events of one (call, queue) pair, and what earlier files left open of it.
struct Group<'e> {
    key: (&'e str, &'e str),
    events: Vec<&'e QlEvent>,
    stored: Vec<OpenStint>,
}

impl Assembled {
    /// Adds `other`'s results after this one's.
    fn append(&mut self, mut other: Assembled) {
        self.contacts.append(&mut other.contacts);
        self.rejections.append(&mut other.rejections);
        self.open.append(&mut other.open);
        self.closed_open.append(&mut other.closed_open);
        self.intervals.append(&mut other.intervals);
        self.closed_intervals.append(&mut other.closed_intervals);
        self.unknown.append(&mut other.unknown);
    }
}

impl Builder<'_, '_> {
    /// The stints of one (call, queue) pair.
    fn group(&mut self, file: &str, g: &Group<'_>) {
        let (call_id, queue) = g.key;
        let mut enters: Vec<Enter> = g
            .stored
            .iter()
            .map(|s| Enter {
                epoch: SmolStr::new(&s.enter_epoch),
                at: s.enter_at,
                customer: s.customer.clone(),
                line: s.line,
                file: Some(s.file.clone()),
                from_store: Some(s.clone()),
            })
            .collect();
        let mut ends: Vec<&QlEvent> = Vec::new();
        let mut connects: Vec<&QlEvent> = Vec::new();
        for e in &g.events {
            match e.verb {
                Verb::EnterQueue => enters.push(Enter {
                    epoch: e.epoch.clone(),
                    at: e.at,
                    customer: e.text(1),
                    line: e.line,
                    file: None,
                    from_store: None,
                }),
                Verb::Connect => connects.push(e),
                ref v if is_refusal(v) => self.refusal(e, queue),
                _ => ends.push(e),
            }
        }
        // Wazo writes its own LEAVEEMPTY next to Asterisk's EXITEMPTY for the same exit (with
        // no ENTERQUEUE between them): one stint, one exit.
        ends.sort_by_key(|e| e.line);
        let mut entered: Vec<u64> = enters
            .iter()
            .filter(|x| x.from_store.is_none())
            .map(|x| x.line)
            .collect();
        entered.sort_unstable();
        let mut kept: Vec<&QlEvent> = Vec::with_capacity(ends.len());
        for e in ends {
            let empty = |v: &Verb| matches!(v, Verb::ExitEmpty | Verb::LeaveEmpty);
            if let Some(prev) = kept.last() {
                let twin = empty(&e.verb) && empty(&prev.verb) && e.verb != prev.verb;
                if twin {
                    let next_enter = entered.partition_point(|l| *l <= prev.line);
                    if entered.get(next_enter).is_none_or(|l| *l > e.line) {
                        continue;
                    }
                }
            }
            kept.push(e);
        }
        let mut ends = kept;
        ends.sort_by_key(|e| (e.at, e.line));
        // Each end (in time order) closes the latest stint still open that was entered before
        // it: before it in time (a stint left open by an earlier file always is), else written
        // before it (Wazo's own test logs carry ends timed before their ENTERQUEUE). A stint
        // whose end never came stays open and is reported, not given a later stint's end; an
        // end with no stint before it either way was entered before the files read (a rotated
        // log) and is rebuilt from its own fields.
        let chosen = pair_stints(&enters, &ends);
        let mut paired = vec![false; enters.len()];
        for (end, chosen) in ends.iter().zip(chosen) {
            let Some(i) = chosen else {
                let connect = connects.iter().rev().find(|k| k.at <= end.at).copied();
                self.stint(queue, None, end, connect);
                continue;
            };
            let enter = &enters[i];
            paired[i] = true;
            let connect = connects
                .iter()
                .rev()
                .find(|k| k.at <= end.at && k.at >= enter.at)
                .copied();
            self.stint(queue, Some(enter), end, connect);
            if let Some(s) = &enter.from_store {
                self.out.closed_open.push(s.clone());
            }
        }
        for (enter, _) in enters.into_iter().zip(paired).filter(|(_, p)| !p) {
            if enter.from_store.is_some() {
                continue;
            }
            let connect = connects.iter().rev().find(|k| k.at >= enter.at);
            self.out.open.push(OpenStint {
                tenant: self.tenant.clone(),
                call_id: call_id.to_owned(),
                queue: queue.to_owned(),
                enter_epoch: enter.epoch.to_string(),
                enter_at: enter.at,
                customer: enter.customer,
                agent: connect.and_then(|k| k.agent.as_ref().map(SmolStr::to_string)),
                ring_s: connect.and_then(|k| k.seconds(2)),
                file: enter.file.unwrap_or_else(|| file.to_owned()),
                line: enter.line,
            });
        }
    }
}

/// Which stint (index in `enters`) each of `ends` (in time order) closes, `None` for an end
/// with no stint before it: the latest one still open entered before it in time (one left
/// open by an earlier file always is), else the latest written before it.
fn pair_stints(enters: &[Enter], ends: &[&QlEvent]) -> Vec<Option<usize>> {
    let order = |e: &Enter| (e.from_store.is_none(), e.at, e.line);
    let before_in_time = |e: &Enter, end: &QlEvent| e.from_store.is_some() || e.at <= end.at;
    let mut paired = vec![false; enters.len()];
    if enters.len().saturating_mul(ends.len()) > 1 << 16 {
        // A call id written on thousands of stints (a broken log) must not cost the square of
        // them: time order alone decides there.
        let mut by_time: Vec<usize> = (0..enters.len()).collect();
        by_time.sort_by_key(|i| order(&enters[*i]));
        let (mut next, mut stack) = (0, Vec::new());
        return ends
            .iter()
            .map(|end| {
                while next < by_time.len() && before_in_time(&enters[by_time[next]], end) {
                    stack.push(by_time[next]);
                    next += 1;
                }
                stack.pop()
            })
            .collect();
    }
    ends.iter()
        .map(|end| {
            let open = || (0..enters.len()).filter(|i| !paired[*i]);
            let chosen = open()
                .filter(|i| before_in_time(&enters[*i], end))
                .max_by_key(|i| order(&enters[*i]))
                .or_else(|| {
                    open()
                        .filter(|i| enters[*i].line < end.line)
                        .max_by_key(|i| enters[*i].line)
                });
            if let Some(i) = chosen {
                paired[i] = true;
            }
            chosen
        })
        .collect()
}

/// Login sessions `[start, end)` (an end of `None` lasts) merged where they overlap or touch,
/// in time order.
fn merge_sessions(
    mut sessions: Vec<(Timestamp, Option<Timestamp>)>,
) -> Vec<(Timestamp, Option<Timestamp>)> {
    sessions.sort_by_key(|s| s.0);
    let mut merged: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
    for (s, e) in sessions {
        if let Some(last) = merged.last_mut() {
            let overlaps = match last.1 {
                None => true,
                Some(le) => s <= le,
            };
            if overlaps {
                last.1 = match (last.1, e) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
                continue;
            }
        }
        merged.push((s, e));
    }
    merged
}

/// Login sessions, pauses and wrap-ups of each agent.
#[inline(never)]
fn agent_intervals(b: &mut Builder<'_, '_>, events: &[&QlEvent], open: &[AgentInterval]) {
    let mut by_agent: BTreeMap<&str, Vec<&QlEvent>> = BTreeMap::new();
    for e in events {
        match e.agent.as_deref() {
            Some(a) => by_agent.entry(a).or_default().push(e),
            None => b.reject(
                e,
                Some("agent"),
                format!("{} without an agent", e.verb.as_str()),
            ),
        }
    }
    let tenant = b.tenant.clone();
    let interval = |agent: &str, state, reason, start, end| AgentInterval {
        tenant: tenant.clone(),
        agent: agent.to_owned(),
        state,
        reason,
        queue: None,
        start,
        end,
        source: "queue_log".into(),
    };
    let mut out = Vec::new();
    let mut closed = Vec::new();
    for (agent, evs) in &by_agent {
        // Sessions: [logoff − length, logoff), and from a login to the end when no logoff
        // follows; overlapping sessions merge.
        let mut sessions: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
        let mut login: Option<Timestamp> = None;
        let mut members: HashMap<Option<&str>, Timestamp> = HashMap::new();
        let mut first_end: Option<Timestamp> = None;
        let mut paused: Option<(Timestamp, Option<String>)> = None;
        let mut first_unpause: Option<Timestamp> = None;
        for e in evs {
            match e.verb {
                Verb::AgentLogin | Verb::AgentCallbackLogin => {
                    login.get_or_insert(e.at);
                }
                Verb::AgentLogoff | Verb::AgentCallbackLogoff => {
                    first_end.get_or_insert(e.at);
                    match e.seconds(1) {
                        Some(len) => sessions.push((minus(e.at, len), Some(e.at))),
                        None => {
                            if let Some(start) = login {
                                sessions.push((start, Some(e.at)));
                            }
                        }
                    }
                    login = None;
                }
                Verb::AddMember => {
                    members.entry(e.queue.as_deref()).or_insert(e.at);
                    // Added paused (QueueAdd with Paused: true): on break until unpaused.
                    if paused.is_none() && e.text(0).as_deref() == Some("PAUSED") {
                        paused = Some((e.at, None));
                    }
                }
                Verb::RemoveMember => {
                    first_end.get_or_insert(e.at);
                    if let Some(start) = members.remove(&e.queue.as_deref()) {
                        sessions.push((start, Some(e.at)));
                    }
                }
                Verb::Pause | Verb::PauseAll => match &mut paused {
                    None => paused = Some((e.at, e.text(0))),
                    // Asterisk writes a PAUSEALL without a reason and then each queue's PAUSE
                    // with it: the same break, and its reason.
                    Some((_, reason @ None)) => *reason = e.text(0),
                    Some(_) => {}
                },
                Verb::Unpause | Verb::UnpauseAll => {
                    first_unpause.get_or_insert(e.at);
                    if let Some((start, reason)) = paused.take() {
                        out.push(interval(
                            agent,
                            AgentState::Break,
                            reason,
                            start,
                            Some(e.at),
                        ));
                    }
                }
                Verb::WrapupStart => match e.seconds(0) {
                    Some(s) => out.push(interval(
                        agent,
                        AgentState::Acw,
                        None,
                        e.at,
                        Some(plus(e.at, s)),
                    )),
                    None => b.reject(
                        e,
                        Some("data1"),
                        "WRAPUPSTART without its length in seconds".into(),
                    ),
                },
                _ => {}
            }
        }
        if let Some((start, reason)) = paused {
            out.push(interval(agent, AgentState::Break, reason, start, None));
        }
        if let Some(start) = login {
            sessions.push((start, None));
        }
        for start in members.into_values() {
            sessions.push((start, None));
        }
        // What earlier files left open for this agent.
        for o in open.iter().filter(|o| o.agent == *agent) {
            let closer = match o.state {
                AgentState::LoggedIn => first_end,
                AgentState::Break => first_unpause,
                _ => None,
            };
            if let Some(end) = closer.filter(|t| *t >= o.start) {
                closed.push(o.clone());
                let mut c = o.clone();
                c.end = Some(end);
                if c.state == AgentState::LoggedIn {
                    sessions.push((c.start, c.end));
                } else {
                    out.push(c);
                }
            }
        }
        for (s, e) in merge_sessions(sessions) {
            out.push(interval(agent, AgentState::LoggedIn, None, s, e));
        }
    }
    b.out.intervals.extend(out);
    b.out.closed_intervals.extend(closed);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls in two queues over a day, some abandoned, some answered and transferred, agents
    /// logging in and pausing, lines written out of time order here and there.
    fn busy_day() -> Vec<QlEvent> {
        let mut lines = Vec::new();
        for i in 0..4_000u64 {
            let t = 1_600_000_000 + i * 7;
            let call = format!("{t}.{i}");
            let q = if i % 3 == 0 { "vip" } else { "general" };
            let agent = format!("SIP/{}", 100 + i % 9);
            lines.push(format!("{t}|{call}|{q}|NONE|ENTERQUEUE||1380013{i:04}|1"));
            if i % 5 == 0 {
                lines.push(format!("{}|{call}|{q}|NONE|ABANDON|1|1|{}", t + 30, 30));
            } else {
                lines.push(format!(
                    "{}|{call}|{q}|{agent}|CONNECT|{}|{call}|3",
                    t + 12,
                    12
                ));
                if i % 7 == 0 {
                    lines.push(format!(
                        "{}|{call}|{q}|{agent}|TRANSFER|200|default|12|80|1",
                        t + 92
                    ));
                } else {
                    lines.push(format!(
                        "{}|{call}|{q}|{agent}|COMPLETECALLER|12|80|1",
                        t + 92
                    ));
                }
            }
            if i % 50 == 0 {
                lines.push(format!("{t}|NONE|NONE|{agent}|PAUSE|lunch"));
                lines.push(format!("{}|NONE|NONE|{agent}|UNPAUSE|", t + 600));
            }
        }
        // A few lines out of time order, as Asterisk writes them.
        lines.swap(10, 11);
        lines.swap(500, 503);
        lines
            .iter()
            .enumerate()
            .filter_map(|(n, l)| parse_queue_log_line(l.as_bytes(), n as u64 + 1).ok())
            .collect()
    }

    #[test]
    fn shards_assemble_what_one_pass_does() {
        let tenant = TenantId::new("t").expect("tenant");
        let one = assemble_in_shards(&tenant, "f", busy_day(), Vec::new(), &[], None, 1);
        let three = assemble_in_shards(&tenant, "f", busy_day(), Vec::new(), &[], None, 3);
        assert!(one.contacts.len() > 3_000, "{}", one.contacts.len());
        let sorted = |a: &Assembled| {
            let mut c: Vec<_> = a
                .contacts
                .iter()
                .map(|(c, fp, r)| (c.id.clone(), *fp, *r))
                .collect();
            c.sort();
            c
        };
        assert_eq!(sorted(&one), sorted(&three));
        let intervals = |a: &Assembled| {
            let mut v: Vec<String> = a.intervals.iter().map(|i| format!("{i:?}")).collect();
            v.sort();
            v
        };
        assert_eq!(intervals(&one), intervals(&three));
        assert_eq!(one.open.len(), three.open.len());
        assert_eq!(one.rejections.len(), three.rejections.len());
    }

    fn ev(line: &str) -> QlEvent {
        parse_queue_log_line(line.as_bytes(), 1).expect("valid line")
    }

    #[test]
    fn parses_fields_and_exact_epochs() {
        let e = ev("1341129600.000001|c1|q01|Agent/7|COMPLETECALLER|3|6|1");
        assert_eq!(e.at.as_microsecond(), 1_341_129_600_000_001);
        assert_eq!(e.queue.as_deref(), Some("q01"));
        assert_eq!(e.agent.as_deref(), Some("Agent/7"));
        assert_eq!(e.verb, Verb::CompleteCaller);
        assert_eq!(e.seconds(1), Some(6.0));
        assert_eq!(
            ev("1341129600|c|NONE|NONE|SHRUG").verb,
            Verb::Other("SHRUG".into())
        );
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        for (line, why) in [
            ("1341129600|c1|q01", "at least 5"),
            ("yesterday|c1|q01|NONE|ENTERQUEUE", "not a time"),
            ("1341129600|c1|q01|NONE|", "empty"),
        ] {
            let r = parse_queue_log_line(line.as_bytes(), 3).expect_err(line);
            assert!(r.reason.contains(why), "{line}: {}", r.reason);
            assert_eq!(r.line, 3);
        }
        let r = parse_queue_log_line(b"1341129600|c\xff|q|NONE|ABANDON", 9).expect_err("utf8");
        assert!(r.reason.contains("UTF-8"));
    }

    fn run(lines: &[&str]) -> Assembled {
        let tenant = TenantId::new("t").expect("tenant");
        let events = lines
            .iter()
            .enumerate()
            .map(|(i, l)| parse_queue_log_line(l.as_bytes(), i as u64 + 1).expect("line"))
            .collect();
        assemble(&tenant, "f", events, Vec::new(), &[])
    }

    #[test]
    fn an_answered_stint_takes_wait_and_talk_from_its_fields() {
        let a = run(&[
            "100.5|c1|q1|NONE|ENTERQUEUE||13800000000|1",
            "104|c1|q1|Agent/1|CONNECT|3|x|2",
            "160|c1|q1|Agent/1|COMPLETEAGENT|3|55|1",
        ]);
        assert_eq!(a.contacts.len(), 1);
        let c = &a.contacts[0].0;
        let d = c.derived();
        assert_eq!(c.id, "c1/q1/end-160");
        assert_eq!(d.wait_s, Some(3.0));
        assert_eq!(d.talk_s, Some(55.0));
        assert_eq!(d.ring_s, Some(2.0));
        assert_eq!(c.customer.as_deref(), Some("13800000000"));
        assert_eq!(c.exit_reason.as_deref(), Some("completeagent"));
        assert_eq!(c.agent.as_deref(), Some("Agent/1"));
        assert!(a.open.is_empty());
    }

    #[test]
    fn an_end_pairs_with_the_stint_entered_before_it_not_a_later_one() {
        // A rotated log opens with the end of a stint entered in the older file; the same call
        // enters the same queue again later and is still waiting when the file ends.
        let a = run(&[
            "1700049900|r1|q1|NONE|ABANDON|1|1|40",
            "1700050800|r1|q1|NONE|ENTERQUEUE||13800000000|1",
        ]);
        assert_eq!(a.contacts.len(), 1);
        let c = &a.contacts[0].0;
        // Rebuilt from its own wait: entered 40 s before its end.
        assert_eq!(c.queued_at.map(|t| t.as_second()), Some(1_700_049_860));
        assert_eq!(a.open.len(), 1, "the second stint is still waiting");
        assert_eq!(a.open[0].enter_at.as_second(), 1_700_050_800);
        // An enter whose end never came stays open; the next enter gets the next end.
        let a = run(&[
            "1000|r2|q1|NONE|ENTERQUEUE||x|1",
            "2000|r2|q1|NONE|ENTERQUEUE||x|1",
            "2030|r2|q1|NONE|ABANDON|1|1|30",
        ]);
        assert_eq!(a.contacts.len(), 1);
        assert_eq!(a.contacts[0].0.queued_at.map(|t| t.as_second()), Some(2000));
        assert_eq!(a.open.len(), 1);
        assert_eq!(a.open[0].enter_at.as_second(), 1000);
    }

    #[test]
    fn an_enter_without_end_stays_open_and_an_end_without_enter_is_rebuilt() {
        let a = run(&[
            "200|c2|q1|NONE|ENTERQUEUE||x|1",
            "300|c3|q1|Agent/2|COMPLETECALLER|12|6|1",
        ]);
        assert_eq!(a.open.len(), 1);
        assert_eq!(a.open[0].call_id, "c2");
        let c = &a.contacts[0].0;
        assert_eq!(c.queued_at.map(|t| t.as_second()), Some(282));
        assert_eq!(c.id, "c3/q1/end-300");
    }

    #[test]
    fn login_sessions_pauses_and_wrapups() {
        let a = run(&[
            "1000|NONE|NONE|Agent/4|AGENTCALLBACKLOGIN|1003@default",
            "1006|NONE|NONE|Agent/4|AGENTCALLBACKLOGOFF|1003@default|6|CommandLogoff",
            "1100|NONE|NONE|Agent/4|PAUSEALL",
            "1101|NONE|NONE|Agent/4|PAUSEALL",
            "1150|NONE|NONE|Agent/4|UNPAUSEALL",
            "1200|NONE|NONE|Agent/4|WRAPUPSTART|15",
            "1300|NONE|NONE|Agent/4|AGENTLOGIN|SIP/a",
        ]);
        let spans: Vec<(AgentState, i64, Option<i64>)> = a
            .intervals
            .iter()
            .map(|i| (i.state, i.start.as_second(), i.end.map(|e| e.as_second())))
            .collect();
        assert!(spans.contains(&(AgentState::LoggedIn, 1000, Some(1006))));
        assert!(spans.contains(&(AgentState::LoggedIn, 1300, None)));
        assert!(spans.contains(&(AgentState::Break, 1100, Some(1150))));
        assert!(spans.contains(&(AgentState::Acw, 1200, Some(1215))));
        assert_eq!(spans.len(), 4);
    }
}
