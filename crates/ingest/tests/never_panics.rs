//! Every parser accepts or rejects any bytes, saying where and why; none panics, and a good
//! record beside bad ones is still accepted.

use ccpulse_ingest::parse_contact_line;
use proptest::prelude::*;

proptest! {
    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_contact_line(&bytes, 1, None);
    }

    #[test]
    fn arbitrary_json_objects(
        keys in proptest::collection::vec("[a-z_]{1,14}", 0..8),
        values in proptest::collection::vec(prop_oneof![
            Just("null".to_owned()), Just("true".to_owned()), Just("-1".to_owned()),
            Just("1e400".to_owned()), Just("\"answered\"".to_owned()),
            Just("\"2021-01-04T09:12:44+08:00\"".to_owned()), Just("{}".to_owned()),
            "\"[^\"\\\\]{0,10}\"",
        ], 0..8),
    ) {
        let body: Vec<String> = keys.iter().zip(values.iter()).map(|(k, v)| format!("\"{k}\":{v}")).collect();
        let line = format!("{{{}}}", body.join(","));
        if let Err(r) = parse_contact_line(line.as_bytes(), 9, None) {
            prop_assert_eq!(r.line, 9);
            prop_assert!(!r.reason.is_empty());
        }
    }
}

/// queue_log: any bytes parse or are rejected; any parsed lines assemble, whatever their
/// order, numbers or words.
mod queue_log {
    use ccpulse_ingest::queue_log::{assemble, parse_queue_log_line};
    use ccpulse_model::TenantId;
    use proptest::prelude::*;

    fn line() -> impl Strategy<Value = String> {
        (
            0u64..2_000,
            prop_oneof![Just("c1"), Just("c2"), Just("NONE")],
            prop_oneof![Just("q1"), Just("q2"), Just("NONE")],
            prop_oneof![Just("Agent/1"), Just("NONE")],
            prop_oneof![
                Just("ENTERQUEUE"),
                Just("CONNECT"),
                Just("COMPLETECALLER"),
                Just("ABANDON"),
                Just("TRANSFER"),
                Just("ATTENDEDTRANSFER"),
                Just("EXITEMPTY"),
                Just("FULL"),
                Just("AGENTLOGIN"),
                Just("AGENTLOGOFF"),
                Just("PAUSEALL"),
                Just("UNPAUSE"),
                Just("WRAPUPSTART"),
                Just("LEAVEEMPTY"),
                Just("EXITWITHKEY"),
                Just("BOGUS"),
            ],
            proptest::collection::vec(
                prop_oneof![
                    Just("".to_owned()),
                    Just("-5".to_owned()),
                    Just("LINK".to_owned()),
                    "[0-9]{1,6}",
                    "[a-z|]{0,4}"
                ],
                0..6,
            ),
        )
            .prop_map(|(t, c, q, a, v, d)| format!("{t}.5|{c}|{q}|{a}|{v}|{}", d.join("|")))
    }

    proptest! {
        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_queue_log_line(&bytes, 1);
        }

        #[test]
        fn arbitrary_files_assemble(lines in proptest::collection::vec(line(), 0..40)) {
            let tenant = TenantId::new("t").map_err(|e| TestCaseError::fail(e.to_string()))?;
            let events = lines
                .iter()
                .enumerate()
                .filter_map(|(i, l)| parse_queue_log_line(l.as_bytes(), i as u64 + 1).ok())
                .collect();
            let a = assemble(&tenant, "f", events, Vec::new(), &[]);
            for (c, _, _) in &a.contacts {
                let d = c.derived();
                prop_assert!(d.wait_s.is_none_or(|w| w >= 0.0));
                prop_assert!(d.talk_s.is_none_or(|t| t >= 0.0));
            }
        }
    }
}

/// Asterisk CDRs and Connect CTRs: any bytes, and any mix of plausible fields, become
/// contacts, skips or located rejections; never a panic.
mod cdr_ctr {
    use ccpulse_ingest::cdr::{read_cdrs, CdrMapping};
    use ccpulse_ingest::ctr::{read_ctrs, CtrMapping};
    use ccpulse_ingest::Converted;
    use ccpulse_model::TenantId;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    fn cdrs(bytes: Vec<u8>) -> Vec<(u64, Converted)> {
        let mapping = CdrMapping::builtin();
        let zone = TimeZone::UTC;
        let read = read_cdrs(
            Box::new(std::io::Cursor::new(bytes)),
            &mapping,
            &TenantId::default_tenant(),
            &zone,
        );
        #[allow(clippy::let_and_return)] // the iterator borrows `mapping`: collect it first
        let out = match read {
            Ok(it) => it.collect(),
            Err(_) => Vec::new(),
        };
        out
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("2021-01-04 09:00:00".to_owned()),
            Just("2021-01-04 08:59:59".to_owned()),
            Just("ANSWERED".to_owned()),
            Just("NO ANSWER".to_owned()),
            Just("Queue".to_owned()),
            Just("Dial".to_owned()),
            Just("from-internal".to_owned()),
            Just("SIP/1001-0000001a".to_owned()),
            Just("-3".to_owned()),
            "[0-9]{1,4}",
            "[a-z\"]{0,5}",
        ]
    }

    proptest! {
        #[test]
        fn cdr_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = cdrs(bytes);
        }

        #[test]
        fn cdr_plausible_records(rows in proptest::collection::vec(proptest::collection::vec(field(), 14..19), 1..5)) {
            let text: Vec<String> = rows
                .iter()
                .map(|r| r.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect::<Vec<_>>().join(","))
                .collect();
            for (line, c) in cdrs(text.join("\n").into_bytes()) {
                if let Converted::Rejected(r) = c {
                    prop_assert_eq!(r.line, line);
                    prop_assert!(!r.reason.is_empty());
                }
            }
        }

        #[test]
        fn ctr_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = read_ctrs(&bytes, &CtrMapping::default(), &TenantId::default_tenant());
        }

        #[test]
        fn ctr_plausible_records(
            keys in proptest::collection::vec(prop_oneof![
                Just("ContactId"), Just("Channel"), Just("InitiationMethod"),
                Just("InitiationTimestamp"), Just("DisconnectTimestamp"), Just("Queue"),
                Just("Agent"), Just("DisconnectReason"),
            ], 0..8),
            values in proptest::collection::vec(prop_oneof![
                Just("null".to_owned()), Just("\"VOICE\"".to_owned()), Just("\"TASK\"".to_owned()),
                Just("\"2021-01-04T01:00:00Z\"".to_owned()), Just("7".to_owned()),
                Just("{\"EnqueueTimestamp\":\"2021-01-04T02:00:00Z\",\"ConnectedToAgentTimestamp\":\"x\"}".to_owned()),
                "\"[A-Z_]{0,8}\"",
            ], 0..8),
        ) {
            let body: Vec<String> = keys.iter().zip(values.iter()).map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let text = format!("{{{}}}{{{}}}", body.join(","), body.join(","));
            let _ = read_ctrs(text.as_bytes(), &CtrMapping::default(), &TenantId::default_tenant());
        }
    }
}

/// Scratch files for the readers that take a path (mapped CSV and xlsx), removed when
/// dropped so that a failing case leaves nothing behind.
mod scratch {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, Ordering};

    static NEXT: AtomicU64 = AtomicU64::new(0);

    pub struct Scratch(pub PathBuf);

    impl Scratch {
        /// A new file ending in `.{ext}` holding `bytes`.
        pub fn new(ext: &str, bytes: &[u8]) -> Self {
            let path = std::env::temp_dir().join(format!(
                "ccpulse-never-panics-{}-{}.{ext}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::write(&path, bytes).expect("write a scratch file");
            Self(path)
        }

        pub fn name(&self) -> String {
            self.0.to_string_lossy().into_owned()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// Tickets, subscribers, agents and agent states (JSON Lines): any bytes and any mix of
/// plausible fields give a record or a rejection at its line, and a good line keeps its
/// place among bad ones, read as `ccpulse import` reads a file.
mod json_lines {
    use ccpulse_ingest::{
        parse_agent_line, parse_agent_state_line, parse_subscribers_line, parse_ticket_line,
        LineReader, Rejection,
    };
    use ccpulse_model::TenantId;
    use proptest::prelude::*;

    type Parse = fn(&[u8], u64, Option<&TenantId>) -> Result<(), Rejection>;

    fn ticket(b: &[u8], line: u64, t: Option<&TenantId>) -> Result<(), Rejection> {
        parse_ticket_line(b, line, t).map(drop)
    }
    fn subscribers(b: &[u8], line: u64, t: Option<&TenantId>) -> Result<(), Rejection> {
        parse_subscribers_line(b, line, t).map(drop)
    }
    fn agent(b: &[u8], line: u64, t: Option<&TenantId>) -> Result<(), Rejection> {
        parse_agent_line(b, line, t).map(drop)
    }
    fn agent_state(b: &[u8], line: u64, t: Option<&TenantId>) -> Result<(), Rejection> {
        parse_agent_state_line(b, line, t).map(drop)
    }

    /// Each parser with a line it accepts.
    const PARSERS: &[(&str, Parse, &str)] = &[
        (
            "tickets",
            ticket,
            r#"{"id":"t1","kind":"complaint","contact_id":"c1","customer":"13800000000","business_line":"mobile","category":"mobile/voice/signal","channel":"voice","created_at":"2021-02-03T10:00:00+08:00","closed_at":"2021-02-04T10:00:00+08:00","valid":true,"escalated":false,"escalated_via":"regulator","refund":12.5,"satisfaction":"satisfied"}"#,
        ),
        (
            "subscribers",
            subscribers,
            r#"{"month":"2021-02","business_line":"mobile","subscribers":1088000}"#,
        ),
        (
            "agents",
            agent,
            r#"{"id":"a017","name":"张三","team":"team-a","skill_groups":["vip"],"hired_on":"2020-03-01","left_on":null,"scheduled_minutes":450}"#,
        ),
        (
            "agent-states",
            agent_state,
            r#"{"agent":"a017","state":"break","reason":"lunch","queue":null,"start":"2021-02-03T12:00:00+08:00","end":"2021-02-03T12:30:00+08:00"}"#,
        ),
    ];

    /// Every field of the four formats, and one none of them has.
    const KEYS: &[&str] = &[
        "tenant",
        "id",
        "kind",
        "contact_id",
        "customer",
        "business_line",
        "category",
        "channel",
        "created_at",
        "closed_at",
        "valid",
        "escalated",
        "escalated_via",
        "refund",
        "satisfaction",
        "month",
        "subscribers",
        "name",
        "team",
        "skill_groups",
        "hired_on",
        "left_on",
        "scheduled_minutes",
        "agent",
        "state",
        "reason",
        "queue",
        "start",
        "end",
        "colour",
    ];

    /// JSON values (and a few texts that are not JSON) a field might hold.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec![
                "null", "true", "false", "-1", "0", "-0.0", "1.5", "1440.0000001", "1e400",
                "18446744073709551616", "NaN", "\"\"", "\" \"", "\"t\"", "\"demo\"",
                "\"Bad Tenant!\"", "\"2021-02-03T10:00:00+08:00\"", "\"2021-02-04T10:00:00Z\"",
                "\"2021-02-03T10:00:00\"", "\"+99999-01-01T00:00:00Z\"", "\"2021-02\"",
                "\"2021-13\"", "\"0000-00\"", "\"2020-03-01\"", "\"2020-02-30\"", "\"complaint\"",
                "\"refund\"", "\"break\"", "\"logged_out\"", "\"satisfied\"", "[]", "[\"vip\"]",
                "[1]", "{}", "\"\\u0000\"", "\"\\ud800\"", "\"张三\"",
            ]).prop_map(str::to_owned),
            1 => "\"[^\"\\\\]{0,10}\"",
            1 => "-?[0-9]{1,22}(\\.[0-9]{1,3})?",
        ]
    }

    /// A record's text from (key, JSON text) pairs.
    fn object(fields: &[(String, String)]) -> String {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str())))
            .collect();
        format!("{{{}}}", body.join(","))
    }

    fn check(result: Result<(), Rejection>, line: u64, bytes: &[u8]) -> Result<(), TestCaseError> {
        if let Err(r) = result {
            prop_assert_eq!(r.line, line);
            prop_assert!(!r.reason.is_empty(), "no reason: {:?}", r);
            prop_assert!(r.field.as_ref().is_none_or(|f| !f.is_empty()), "{:?}", r);
            prop_assert_eq!(r.raw, String::from_utf8_lossy(bytes));
        }
        Ok(())
    }

    /// The good line of a format as (key, JSON text) pairs.
    fn fields_of(good: &str) -> Vec<(String, String)> {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(good).unwrap_or_default();
        map.into_iter().map(|(k, v)| (k, v.to_string())).collect()
    }

    proptest! {
        #[test]
        fn good_lines_are_good(tenant in any::<bool>()) {
            let t = TenantId::new("t").map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (name, parse, good) in PARSERS {
                let got = parse(good.as_bytes(), 1, tenant.then_some(&t));
                prop_assert!(got.is_ok(), "{}: {:?}", name, got);
            }
        }

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400), tenant in any::<bool>()) {
            let t = TenantId::new("t").map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (_, parse, _) in PARSERS {
                check(parse(&bytes, 7, tenant.then_some(&t)), 7, &bytes)?;
            }
        }

        #[test]
        fn plausible_records(
            fields in proptest::collection::vec((prop::sample::select(KEYS), value()), 0..10),
            tenant in any::<bool>(),
        ) {
            let t = TenantId::new("t").map_err(|e| TestCaseError::fail(e.to_string()))?;
            let fields: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let line = object(&fields);
            for (_, parse, _) in PARSERS {
                check(parse(line.as_bytes(), 3, tenant.then_some(&t)), 3, line.as_bytes())?;
            }
        }

        /// A good record with some fields removed or given another value, or cut short.
        #[test]
        fn mutated_good_records(
            edits in proptest::collection::vec(
                (any::<prop::sample::Index>(), prop::option::of(value())), 1..4),
            added in proptest::collection::vec((prop::sample::select(KEYS), value()), 0..2),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            for (_, parse, good) in PARSERS {
                let mut fields = fields_of(good);
                for (at, v) in &edits {
                    let i = at.index(fields.len());
                    match v {
                        Some(v) => fields[i].1.clone_from(v),
                        None => { fields.remove(i); }
                    }
                    if fields.is_empty() {
                        break;
                    }
                }
                fields.extend(added.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
                let mut line = object(&fields).into_bytes();
                if let Some(c) = cut {
                    line.truncate(c.index(line.len() + 1));
                }
                check(parse(&line, 11, None), 11, &line)?;
            }
        }

        /// A file of a good line, bad lines (any bytes but a newline) and a good line: both
        /// good lines are accepted at their numbers, every other line is accounted for.
        #[test]
        fn good_lines_survive_bad_neighbours(
            bad in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..120),
                    proptest::collection::vec((prop::sample::select(KEYS), value()), 0..6)
                        .prop_map(|f| object(&f.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Vec<_>>()).into_bytes()),
                ]
                .prop_map(|mut l| {
                    l.retain(|b| *b != b'\n');
                    l
                }),
                0..5,
            ),
            crlf in any::<bool>(),
            last_terminated in any::<bool>(),
        ) {
            let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            for (name, parse, good) in PARSERS {
                let mut file = Vec::new();
                file.extend_from_slice(good.as_bytes());
                for l in &bad {
                    file.extend_from_slice(end);
                    file.extend_from_slice(l);
                }
                file.extend_from_slice(end);
                file.extend_from_slice(good.as_bytes());
                if last_terminated {
                    file.extend_from_slice(end);
                }
                // As `ccpulse import --format tickets|subscribers|agents|agent-states` reads.
                let mut lines = LineReader::new(&file[..], name);
                let mut buf = Vec::new();
                let (mut accepted, mut rejected, mut blank) = (Vec::new(), 0, 0);
                while let Some(n) = lines.next_line(&mut buf).map_err(|e| TestCaseError::fail(e.to_string()))? {
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        blank += 1;
                        continue;
                    }
                    let result = parse(&buf, n, None);
                    if result.is_ok() {
                        accepted.push(n);
                    } else {
                        rejected += 1;
                    }
                    check(result, n, &buf)?;
                }
                let last = bad.len() as u64 + 2;
                prop_assert_eq!(accepted.first(), Some(&1), "{}: first good line lost", name);
                prop_assert_eq!(accepted.last(), Some(&last), "{}: last good line lost", name);
                prop_assert_eq!(accepted.len() + rejected + blank, bad.len() + 2);
            }
        }
    }
}

/// Mapped CSV (`--format csv --mapping`): the shipped mappings, a minimal hand-written one and
/// one with strftime formats and the moments as columns.
/// Any bytes give an error for the file or a located rejection per row; rows of random values
/// never panic, and the good rows around them are still accepted at their lines.
mod mapped {
    use std::io::{Read as _, Write as _};
    use std::path::Path;
    use std::sync::LazyLock;

    use ccpulse_ingest::mapped::{read_records, Mapping, Resolved, Sheet};
    use ccpulse_ingest::{ParsedContact, Rejection};
    use ccpulse_model::TenantId;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    use super::scratch::Scratch;

    /// More rows than any case writes: a reader that never ends fails, not hangs.
    const ROW_LIMIT: usize = 10_000;

    pub struct Case {
        pub name: &'static str,
        pub mapping: Mapping,
        pub header: Vec<String>,
        pub good: Vec<String>,
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn shipped(file: &str) -> Mapping {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../mappings")
            .join(file);
        Mapping::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The least a mapping needs, plus a duration, a value map and a null.
    const MINIMAL: &str = r#"
[columns]
id = "id"
datetime = "when"
outcome = "result"
wait_s = "wait"
[values.outcome]
A = "answered"
[null]
wait_s = ["-"]
"#;

    /// Times as an export may have them: 12-hour clock, day first, moments as columns.
    const MOMENTS: &str = r#"
[format]
datetime = "%d/%m/%Y %H:%M:%S"
time = "%I:%M:%S %p"
zone = "America/New_York"
[columns]
id = "call"
datetime = "start"
queued_at = "queued"
answered_at = "answered"
ended_at = "ended"
wrap_up_end = "wrapped"
outcome = "result"
agent = "agent"
[values.outcome]
ok = "answered"
gone = "abandoned"
"#;

    pub static CASES: LazyLock<Vec<Case>> = LazyLock::new(|| {
        let minimal = Scratch::new("toml", MINIMAL.as_bytes());
        let moments = Scratch::new("toml", MOMENTS.as_bytes());
        vec![
            Case {
                name: "anonymous-bank",
                mapping: shipped("anonymous-bank.toml"),
                header: strings(&[
                    "vru+line",
                    "call_id",
                    "customer_id",
                    "priority",
                    "type",
                    "date",
                    "vru_entry",
                    "vru_exit",
                    "vru_time",
                    "q_start",
                    "q_exit",
                    "q_time",
                    "outcome",
                    "ser_start",
                    "ser_exit",
                    "ser_time",
                    "server",
                ]),
                good: strings(&[
                    "AA0101", "34536", "0", "2", "PS", "990201", "7:02:47", "7:02:56", "9",
                    "7:02:56", "7:03:10", "14", "AGENT", "7:03:10", "7:05:41", "151", "DORIT",
                ]),
            },
            Case {
                name: "pwc-phonenow",
                mapping: shipped("pwc-phonenow.toml"),
                header: strings(&[
                    "Call Id",
                    "Agent",
                    "Date",
                    "Time",
                    "Topic",
                    "Answered (Y/N)",
                    "Resolved",
                    "Speed of answer in seconds",
                    "AvgTalkDuration",
                    "Satisfaction rating",
                ]),
                good: strings(&[
                    "ID0001",
                    "Diane",
                    "2021-01-01",
                    "09:12:58",
                    "Contract related",
                    "Y",
                    "Y",
                    "109",
                    "00:02:23",
                    "3",
                ]),
            },
            Case {
                name: "minimal",
                mapping: Mapping::load(&minimal.0).unwrap_or_else(|e| panic!("{e}")),
                header: strings(&["id", "when", "result", "wait"]),
                good: strings(&["c1", "2021-01-04 09:00:00", "A", "12"]),
            },
            Case {
                name: "moments",
                mapping: Mapping::load(&moments.0).unwrap_or_else(|e| panic!("{e}")),
                header: strings(&[
                    "call", "start", "queued", "answered", "ended", "wrapped", "result", "agent",
                ]),
                // Ends past midnight: a time of day before the start is on the next day.
                good: strings(&[
                    "k1",
                    "04/01/2021 23:58:00",
                    "11:58:30 PM",
                    "11:59:10 PM",
                    "12:05:00 AM",
                    "2021-01-05 00:06:00",
                    "ok",
                    "Li",
                ]),
            },
        ]
    });

    /// What a cell of an export might hold.
    pub fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec![
                "", " ", "-", "0", "-3", "1e400", "NaN", "inf", "99:99:99", "25:00",
                "23:59:60", "-0:00:01", "0:-1", "1:2:3:4", "7:02:59.9999999999", "990231",
                "991301", "2021-02-30", "2021-01-04 09:00:00", "2021-01-04T24:00:00",
                "99999-01-01", "Y", "N", "A", "AGENT", "HANG", "PHANTOM", "NO_SERVER",
                "answered", "self_service", "closed", "abandoned", "ok", "gone", "\"", "a,b",
                "\t", "x\ny", "\r", "\u{feff}", "张三", "１２", "11:59:59 PM", "12:00:00 AM",
                "13:00:00 PM", "00:00:00 AM", "31/12/9999 23:59:59", "9999-12-31 23:59:59",
                "-009999-01-01 00:00:00", "14/03/2021 02:30:00", "07/11/2021 01:30:00",
            ]).prop_map(str::to_owned),
            1 => prop::sample::select(vec![
                "1e20", "-1e20", "5e18", "1e300", "9223372036854775808", "99999999999",
                "99999999999:00:00", "1e12",
            ]).prop_map(str::to_owned),
            1 => "[0-9]{1,25}",
            1 => "[0-9:. eE+-]{1,10}",
            1 => any::<String>(),
        ]
    }

    /// A good row with some cells changed, cut short or lengthened.
    pub fn mutation() -> impl Strategy<
        Value = (
            Vec<(prop::sample::Index, String)>,
            Option<prop::sample::Index>,
            Vec<String>,
        ),
    > {
        (
            proptest::collection::vec((any::<prop::sample::Index>(), cell()), 0..4),
            prop::option::of(any::<prop::sample::Index>()),
            proptest::collection::vec(cell(), 0..2),
        )
    }

    pub fn mutate(
        good: &[String],
        (edits, cut, extra): &(
            Vec<(prop::sample::Index, String)>,
            Option<prop::sample::Index>,
            Vec<String>,
        ),
    ) -> Vec<String> {
        let mut row = good.to_vec();
        for (at, v) in edits {
            let i = at.index(row.len());
            row[i].clone_from(v);
        }
        if let Some(c) = cut {
            row.truncate(c.index(row.len()).max(1));
        }
        row.extend(extra.iter().cloned());
        row
    }

    pub type Outcome = (u64, Result<ParsedContact, Rejection>);

    /// Reads file `name` as `ccpulse import --format csv|xlsx --mapping` does.
    pub fn import(name: &str, sheet: Sheet, mapping: &Mapping) -> Result<Vec<Outcome>, String> {
        let records = read_records(name, sheet, mapping)?;
        let tenant = TenantId::default_tenant();
        let resolved = Resolved::new(mapping, &records.header, &tenant, &TimeZone::UTC)?;
        Ok(records
            .rows
            .take(ROW_LIMIT)
            .map(|(line, record)| {
                let converted = match record {
                    Ok(fields) => resolved.convert(&fields, line),
                    Err(reason) => Err(Rejection::new(line, None, reason, b"")),
                };
                (line, converted)
            })
            .collect())
    }

    /// Each outcome has a line, and a rejection says that line and why.
    pub fn located(outcomes: &[Outcome]) -> Result<(), TestCaseError> {
        prop_assert!(outcomes.len() < ROW_LIMIT, "the rows never end");
        for (line, o) in outcomes {
            prop_assert!(*line >= 1, "a record without a line: {:?}", o);
            if let Err(r) = o {
                prop_assert_eq!(r.line, *line);
                prop_assert!(!r.reason.is_empty(), "no reason: {:?}", r);
            }
        }
        Ok(())
    }

    /// Rows as the file's CSV text, with the line each row starts on.
    fn csv_file(delimiter: u8, rows: &[Vec<String>]) -> (Vec<u8>, Vec<u64>) {
        let (mut text, mut starts, mut line) = (Vec::new(), Vec::new(), 1u64);
        for row in rows {
            let mut w = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_writer(Vec::new());
            w.write_record(row).unwrap_or_else(|e| panic!("{e}"));
            let bytes = w.into_inner().unwrap_or_else(|e| panic!("{e}"));
            starts.push(line);
            line += bytes.iter().filter(|b| **b == b'\n').count() as u64;
            text.extend_from_slice(&bytes);
        }
        (text, starts)
    }

    /// `rows` good rows under the header, gzipped and cut at `cut`; and how many rows
    /// decompress whole.
    fn truncated_gzip(
        case: &Case,
        rows: usize,
        cut: prop::sample::Index,
    ) -> Result<(Scratch, usize), TestCaseError> {
        let mut all = vec![case.header.clone()];
        all.extend(std::iter::repeat_n(case.good.clone(), rows));
        let (text, _) = csv_file(case.mapping.delimiter(), &all);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut gz = gz
            .finish()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        gz.truncate(cut.index(gz.len() + 1));
        let mut prefix = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(&gz[..]).read_to_end(&mut prefix);
        let lines = prefix.iter().filter(|b| **b == b'\n').count();
        Ok((Scratch::new("csv.gz", &gz), lines.saturating_sub(1)))
    }

    /// The smallest input `good_rows_survive_bad_neighbours` fails on: a duration beyond
    /// what a `SignedDuration` holds (about 9.2e18 s) panics in `from_secs_f64`.
    #[test]
    fn huge_duration_is_a_rejection() {
        let case = &CASES[2];
        let rows = [
            case.header.clone(),
            strings(&["c1", "2021-01-04 09:00:00", "A", "1e20"]),
        ];
        let (text, _) = csv_file(case.mapping.delimiter(), &rows);
        let file = Scratch::new("csv", &text);
        let outcomes =
            import(&file.name(), Sheet::Csv, &case.mapping).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(outcomes.as_slice(), [(2, Err(r))] if r.line == 2),
            "{outcomes:?}"
        );
    }

    /// The smallest input `truncated_gzip_error_is_located` fails on: a gzipped export
    /// without its 8-byte trailer. Its row is read, then the read error comes at line 0.
    #[test]
    fn truncated_gzip_error_has_a_line() {
        let case = &CASES[2];
        let (text, _) = csv_file(b',', &[case.header.clone(), case.good.clone()]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap_or_else(|e| panic!("{e}"));
        let mut gz = gz.finish().unwrap_or_else(|e| panic!("{e}"));
        gz.truncate(gz.len() - 8);
        let file = Scratch::new("csv.gz", &gz);
        let outcomes =
            import(&file.name(), Sheet::Csv, &case.mapping).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(outcomes.first(), Some((2, Ok(_)))), "{outcomes:?}");
        assert!(outcomes.iter().all(|(line, _)| *line >= 1), "{outcomes:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes(which in 0..CASES.len(), bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let case = &CASES[which];
            let file = Scratch::new("csv", &bytes);
            if let Ok(outcomes) = import(&file.name(), Sheet::Csv, &case.mapping) {
                located(&outcomes)?;
            }
        }

        /// A good header, then any bytes.
        #[test]
        fn arbitrary_rows(which in 0..CASES.len(), body in proptest::collection::vec(any::<u8>(), 0..600)) {
            let case = &CASES[which];
            let (mut text, _) = csv_file(case.mapping.delimiter(), std::slice::from_ref(&case.header));
            text.extend_from_slice(&body);
            let file = Scratch::new("csv", &text);
            let outcomes = import(&file.name(), Sheet::Csv, &case.mapping).map_err(TestCaseError::fail)?;
            located(&outcomes)?;
            prop_assert!(outcomes.iter().all(|(line, _)| *line >= 2), "{:?}", outcomes);
        }

        /// A gzipped export cut short (a download or copy that did not finish): every row
        /// that decompresses whole is accepted, at its line.
        #[test]
        fn truncated_gzip_keeps_whole_rows(which in 0..CASES.len(), rows in 1..20usize, cut in any::<prop::sample::Index>()) {
            let case = &CASES[which];
            let (file, whole) = truncated_gzip(case, rows, cut)?;
            if let Ok(outcomes) = import(&file.name(), Sheet::Csv, &case.mapping) {
                prop_assert!(outcomes.len() < ROW_LIMIT, "the rows never end");
                let accepted: Vec<u64> = outcomes.iter().filter(|(_, o)| o.is_ok()).map(|(l, _)| *l).collect();
                let expected: Vec<u64> = (2..2 + whole as u64).collect();
                prop_assert_eq!(accepted, expected);
            }
        }

        /// The same: the read error that ends it says where (the line it stopped at).
        #[test]
        fn truncated_gzip_error_is_located(which in 0..CASES.len(), rows in 1..20usize, cut in any::<prop::sample::Index>()) {
            let case = &CASES[which];
            let (file, _) = truncated_gzip(case, rows, cut)?;
            if let Ok(outcomes) = import(&file.name(), Sheet::Csv, &case.mapping) {
                located(&outcomes)?;
            }
        }

        /// Good row, rows of random values, good row: each row comes back once at its line,
        /// the good ones accepted.
        #[test]
        fn good_rows_survive_bad_neighbours(
            which in 0..CASES.len(),
            bad in proptest::collection::vec(mutation(), 1..4),
        ) {
            let case = &CASES[which];
            let mut rows = vec![case.header.clone(), case.good.clone()];
            rows.extend(bad.iter().map(|m| mutate(&case.good, m)));
            rows.push(case.good.clone());
            let (text, starts) = csv_file(case.mapping.delimiter(), &rows);
            let file = Scratch::new("csv", &text);
            let outcomes = import(&file.name(), Sheet::Csv, &case.mapping).map_err(TestCaseError::fail)?;
            located(&outcomes)?;
            let lines: Vec<u64> = outcomes.iter().map(|(l, _)| *l).collect();
            prop_assert_eq!(&lines[..], &starts[1..], "rows lost, merged or misplaced");
            prop_assert!(outcomes[0].1.is_ok(), "first good row: {:?}", outcomes[0].1);
            let last = &outcomes[outcomes.len() - 1].1;
            prop_assert!(last.is_ok(), "last good row: {:?}", last);
        }
    }
}

/// The xlsx reader of `import --format xlsx`: any bytes (under any name the workbook reader
/// dispatches on), damaged workbooks and damaged sheets give an error, never a panic; a
/// well-formed workbook whose cells hold any text, number, date, time, duration, boolean or
/// error gives each row a contact or a located rejection, and keeps its good rows.
///
/// The workbooks are written here (a stored zip of the five parts an xlsx needs):
/// rust_xlsxwriter is not a dependency of this crate.
mod xlsx {
    use ccpulse_ingest::mapped::{read_records, Sheet};
    use proptest::prelude::*;

    use super::mapped::{import, located, mutate, mutation, CASES};
    use super::scratch::Scratch;

    /// A zip archive of `entries`, stored (not compressed).
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let (mut out, mut central) = (Vec::new(), Vec::new());
        let u16le = |v: &mut Vec<u8>, x: usize| v.extend_from_slice(&(x as u16).to_le_bytes());
        let u32le = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
        for (name, data) in entries {
            let mut crc = flate2::Crc::new();
            crc.update(data);
            let offset = out.len() as u32;
            // Local header.
            u32le(&mut out, 0x0403_4b50);
            for x in [20, 0, 0, 0, 0x21] {
                u16le(&mut out, x);
            }
            u32le(&mut out, crc.sum());
            u32le(&mut out, data.len() as u32);
            u32le(&mut out, data.len() as u32);
            u16le(&mut out, name.len());
            u16le(&mut out, 0);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            // Its central directory entry.
            u32le(&mut central, 0x0201_4b50);
            for x in [20, 20, 0, 0, 0, 0x21] {
                u16le(&mut central, x);
            }
            u32le(&mut central, crc.sum());
            u32le(&mut central, data.len() as u32);
            u32le(&mut central, data.len() as u32);
            u16le(&mut central, name.len());
            for _ in 0..4 {
                u16le(&mut central, 0);
            }
            u32le(&mut central, 0);
            u32le(&mut central, offset);
            central.extend_from_slice(name.as_bytes());
        }
        let at = out.len() as u32;
        out.extend_from_slice(&central);
        u32le(&mut out, 0x0605_4b50);
        for x in [0, 0, entries.len(), entries.len()] {
            u16le(&mut out, x);
        }
        u32le(&mut out, central.len() as u32);
        u32le(&mut out, at);
        u16le(&mut out, 0);
        out
    }

    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    /// A workbook of one sheet `Sheet1` holding `sheet` (its worksheet XML). Styles: 0
    /// general, 1 a date (numFmtId 14), 2 a time of day (21), 3 a duration (46).
    fn workbook(sheet: &[u8]) -> Vec<u8> {
        let types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
        let rels = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        );
        let book = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        );
        let book_rels = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{DOC}/styles" Target="styles.xml"/></Relationships>"#
        );
        let styles = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}"><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="21" applyNumberFormat="1"/><xf numFmtId="46" applyNumberFormat="1"/></cellXfs></styleSheet>"#
        );
        zip(&[
            ("[Content_Types].xml", types.as_bytes()),
            ("_rels/.rels", rels.as_bytes()),
            ("xl/workbook.xml", book.as_bytes()),
            ("xl/_rels/workbook.xml.rels", book_rels.as_bytes()),
            ("xl/styles.xml", styles.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet),
        ])
    }

    #[derive(Debug, Clone)]
    enum Cell {
        Text(String),
        /// A number and its style (see [`workbook`]).
        Number(f64, u8),
        Bool(bool),
        Error,
        Empty,
    }

    fn column(mut i: usize) -> String {
        let mut name = Vec::new();
        loop {
            name.push(b'A' + (i % 26) as u8);
            if i < 26 {
                break;
            }
            i = i / 26 - 1;
        }
        name.reverse();
        String::from_utf8_lossy(&name).into_owned()
    }

    /// Text as XML character data: escaped, without the characters XML cannot hold.
    fn escape(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\t' | '\n' | '\r' => out.push(c),
                c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
                c => out.push(c),
            }
        }
        out
    }

    fn sheet_xml(rows: &[Vec<Cell>]) -> String {
        let mut x = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>"#
        );
        for (r, row) in rows.iter().enumerate() {
            x.push_str(&format!(r#"<row r="{}">"#, r + 1));
            for (c, cell) in row.iter().enumerate() {
                let at = format!("{}{}", column(c), r + 1);
                match cell {
                    Cell::Text(s) => x.push_str(&format!(
                        r#"<c r="{at}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                        escape(s)
                    )),
                    Cell::Number(f, 0) => x.push_str(&format!(r#"<c r="{at}"><v>{f:?}</v></c>"#)),
                    Cell::Number(f, s) => {
                        x.push_str(&format!(r#"<c r="{at}" s="{s}"><v>{f:?}</v></c>"#))
                    }
                    Cell::Bool(b) => {
                        x.push_str(&format!(r#"<c r="{at}" t="b"><v>{}</v></c>"#, u8::from(*b)))
                    }
                    Cell::Error => x.push_str(&format!(r#"<c r="{at}" t="e"><v>#N/A</v></c>"#)),
                    Cell::Empty => {}
                }
            }
            x.push_str("</row>");
        }
        x.push_str("</sheetData></worksheet>");
        x
    }

    fn number() -> impl Strategy<Value = f64> {
        prop_oneof![
            prop::sample::select(vec![
                0.0,
                -0.0,
                0.5,
                1.0,
                60.0,
                44197.0,
                44_197.384_004_629_63,
                2_958_465.0,
                7_330_000.0,
                -7_330_000.0,
                1e15,
                1e20,
                1e300,
                -1.0,
                f64::MIN_POSITIVE,
                f64::MAX,
            ]),
            -1e6..1e6f64,
            prop::num::f64::NORMAL | prop::num::f64::ZERO,
        ]
    }

    fn cell() -> impl Strategy<Value = Cell> {
        prop_oneof![
            3 => super::mapped::cell().prop_map(Cell::Text),
            3 => (number(), 0u8..4).prop_map(|(f, s)| Cell::Number(f, s)),
            1 => any::<bool>().prop_map(Cell::Bool),
            1 => Just(Cell::Error),
            1 => Just(Cell::Empty),
        ]
    }

    fn texts(row: &[String]) -> Vec<Cell> {
        row.iter().map(|s| Cell::Text(s.clone())).collect()
    }

    /// The good row of case `which` in a workbook: as text, except PwC's, typed as in its
    /// published workbook (a date cell, time cells, numbers).
    fn good_row(which: usize) -> Vec<Cell> {
        let case = &CASES[which];
        if case.name != "pwc-phonenow" {
            return texts(&case.good);
        }
        let t = |s: &str| Cell::Text(s.to_owned());
        vec![
            t("ID0001"),
            t("Diane"),
            Cell::Number(44197.0, 1),
            Cell::Number(33_178.0 / 86_400.0, 2),
            t("Contract related"),
            t("Y"),
            t("Y"),
            Cell::Number(109.0, 0),
            Cell::Number(143.0 / 86_400.0, 2),
            Cell::Number(3.0, 0),
        ]
    }

    /// A small well-formed workbook of the PwC layout.
    fn pwc_workbook_sheet() -> String {
        let pwc = CASES
            .iter()
            .position(|c| c.name == "pwc-phonenow")
            .unwrap_or(0);
        sheet_xml(&[texts(&CASES[pwc].header), good_row(pwc), good_row(pwc)])
    }

    /// `bytes` with `flips` bytes changed and cut at `cut`.
    fn damage(
        mut bytes: Vec<u8>,
        flips: &[(prop::sample::Index, u8)],
        cut: Option<prop::sample::Index>,
    ) -> Vec<u8> {
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                bytes[i] ^= b | 1;
            }
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len() + 1));
        }
        bytes
    }

    /// The smallest input `good_rows_survive_bad_neighbours` fails on: a number cell in a
    /// date format past what a `jiff::Span` of days holds (serial 7,330,054 and up, or
    /// -7,278,916 and down; Excel's own dates end at 2,958,465) panics in `cell_text`, in any
    /// column, mapped or not.
    #[test]
    fn far_date_cell_is_not_a_panic() {
        let pwc = &CASES[1];
        for serial in [7_330_054.0, -7_278_916.0] {
            let sheet = sheet_xml(&[texts(&pwc.header), vec![Cell::Number(serial, 1)]]);
            let file = Scratch::new("xlsx", &workbook(sheet.as_bytes()));
            if let Ok(outcomes) = import(&file.name(), Sheet::Xlsx, &pwc.mapping) {
                assert!(
                    matches!(outcomes.as_slice(), [(2, Err(r))] if r.line == 2),
                    "{outcomes:?}"
                );
            }
        }
    }

    fn read_any(name: &str) -> Result<(), TestCaseError> {
        let pwc = &CASES[1].mapping;
        if let Ok(outcomes) = import(name, Sheet::Xlsx, pwc) {
            located(&outcomes)?;
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn good_workbook_is_read(which in 0..CASES.len()) {
            let case = &CASES[which];
            let book = workbook(sheet_xml(&[texts(&case.header), good_row(which)]).as_bytes());
            let file = Scratch::new("xlsx", &book);
            let outcomes = import(&file.name(), Sheet::Xlsx, &case.mapping).map_err(TestCaseError::fail)?;
            prop_assert_eq!(outcomes.len(), 1);
            prop_assert_eq!(outcomes[0].0, 2);
            prop_assert!(outcomes[0].1.is_ok(), "{}: {:?}", case.name, outcomes[0].1);
        }

        #[test]
        fn arbitrary_bytes(
            ext in prop::sample::select(vec!["xlsx", "xlsm", "xls", "xlsb", "ods"]),
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let file = Scratch::new(ext, &bytes);
            prop_assert!(read_records(&file.name(), Sheet::Xlsx, &CASES[1].mapping).is_err());
        }

        /// A valid workbook with bytes changed or cut off: its zip is damaged.
        #[test]
        fn damaged_workbook(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let book = damage(workbook(pwc_workbook_sheet().as_bytes()), &flips, cut);
            let file = Scratch::new("xlsx", &book);
            read_any(&file.name())?;
        }

        /// A sound zip whose worksheet XML has bytes changed or is cut off.
        #[test]
        fn damaged_sheet(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let sheet = damage(pwc_workbook_sheet().into_bytes(), &flips, cut);
            let file = Scratch::new("xlsx", &workbook(&sheet));
            read_any(&file.name())?;
        }

        /// Header, good row, rows of any cells, rows of good cells changed, good row.
        #[test]
        fn good_rows_survive_bad_neighbours(
            which in 0..CASES.len(),
            random in proptest::collection::vec(proptest::collection::vec(cell(), 0..19), 0..3),
            mutated in proptest::collection::vec(mutation(), 0..3),
            typed in proptest::collection::vec((any::<prop::sample::Index>(), cell()), 0..3),
        ) {
            let case = &CASES[which];
            let mut rows = vec![texts(&case.header), good_row(which)];
            rows.extend(random.iter().cloned());
            for m in &mutated {
                let mut row = texts(&mutate(&case.good, m));
                for (at, c) in &typed {
                    let i = at.index(row.len());
                    row[i] = c.clone();
                }
                rows.push(row);
            }
            rows.push(good_row(which));
            let file = Scratch::new("xlsx", &workbook(sheet_xml(&rows).as_bytes()));
            let outcomes = import(&file.name(), Sheet::Xlsx, &case.mapping).map_err(TestCaseError::fail)?;
            located(&outcomes)?;
            let lines: Vec<u64> = outcomes.iter().map(|(l, _)| *l).collect();
            prop_assert!(lines.windows(2).all(|w| w[0] < w[1]), "rows out of order: {:?}", lines);
            prop_assert_eq!(lines.first(), Some(&2), "first good row lost");
            prop_assert_eq!(lines.last(), Some(&(rows.len() as u64)), "last good row lost");
            prop_assert!(outcomes[0].1.is_ok(), "first good row: {:?}", outcomes[0].1);
            let last = &outcomes[outcomes.len() - 1].1;
            prop_assert!(last.is_ok(), "last good row: {:?}", last);
        }
    }
}

/// Live events (`POST /api/v1/events`): any body splits or is refused as a whole, any event
/// is accepted or refused at its index, accepted events survive their storage and fold
/// without a panic, and a good event keeps its place among bad ones.
mod events {
    use ccpulse_ingest::events::{
        agent_step, fold_contact, parse_event, parse_stored, split_body, EventError, Folded,
        ParsedEvent,
    };
    use ccpulse_model::{AgentInterval, EventBody, TenantId};
    use proptest::prelude::*;

    fn tenant() -> TenantId {
        TenantId::new("demo").unwrap_or_else(|e| panic!("{e}"))
    }

    const GOOD: &[&str] = &[
        r#"{"id":"e1","type":"arrived","contact_id":"c1","at":"2026-11-23T09:00:00+08:00","channel":"voice","region":"贵州"}"#,
        r#"{"id":"e2","type":"queued","contact_id":"c1","at":"2026-11-23T09:00:05+08:00","queue":"vip"}"#,
        r#"{"id":"e3","type":"answered","contact_id":"c1","at":"2026-11-23T09:00:20+08:00","agent":"1001"}"#,
        r#"{"id":"e4","type":"held","contact_id":"c1","at":"2026-11-23T09:01:00+08:00","hold_s":12.5}"#,
        r#"{"id":"e5","type":"transferred","contact_id":"c1","at":"2026-11-23T09:02:00+08:00","target":"2002","transfer_correct":true}"#,
        r#"{"id":"e6","type":"ended","contact_id":"c1","at":"2026-11-23T09:03:20+08:00","outcome":"answered"}"#,
        r#"{"id":"e7","type":"surveyed","contact_id":"c1","at":"2026-11-23T09:03:40+08:00","score":"satisfied","rating":4}"#,
        r#"{"id":"e8","type":"agent_state","agent":"1001","state":"break","reason":"lunch","at":"2026-11-23T12:00:00+08:00"}"#,
    ];

    const KEYS: &[&str] = &[
        "id",
        "type",
        "tenant",
        "at",
        "contact_id",
        "agent",
        "state",
        "reason",
        "queue",
        "channel",
        "direction",
        "source",
        "customer",
        "business_type",
        "outcome",
        "hold_s",
        "target",
        "transfer_correct",
        "resolved_first",
        "score",
        "rating",
        "qa_score",
        "marketing_attempts",
        "colour",
    ];

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(vec![
                "null", "true", "-1", "0", "4294967296", "1e400", "12.5", "\"\"", "\" \"",
                "\"e1\"", "\"c1\"", "\"c2\"", "\"1001\"", "\"demo\"", "\"other\"",
                "\"2026-11-23T09:00:00+08:00\"", "\"2026-11-23T09:05:00Z\"",
                "\"2026-11-23T08:59:00Z\"", "\"-009999-01-01T00:00:00Z\"", "\"yesterday\"",
                "\"arrived\"", "\"queued\"", "\"answered\"", "\"held\"", "\"ended\"",
                "\"abandoned\"", "\"wrap_up_ended\"", "\"surveyed\"", "\"agent_state\"",
                "\"busy\"", "\"idle\"", "\"logged_out\"", "\"voice\"", "\"fax\"",
                "\"outbound\"", "\"satisfied\"", "[]", "{}", "\"\\ud800\"",
            ]).prop_map(str::to_owned),
            1 => "\"[^\"\\\\]{0,10}\"",
        ]
    }

    fn object(fields: &[(&str, String)]) -> String {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    }

    fn check(
        result: &Result<ParsedEvent, EventError>,
        index: usize,
        t: &TenantId,
    ) -> Result<(), TestCaseError> {
        match result {
            Err(e) => {
                prop_assert_eq!(e.index, index);
                prop_assert!(!e.reason.is_empty(), "no reason: {:?}", e);
                prop_assert!(e.field.as_ref().is_none_or(|f| !f.is_empty()), "{:?}", e);
            }
            // As stored, it reads back as the same event.
            Ok(p) => {
                let back = parse_stored(&p.to_json(), t);
                prop_assert!(
                    back.is_ok(),
                    "stored event refused: {:?} from {}",
                    back,
                    p.to_json()
                );
                prop_assert_eq!(
                    &back.map_err(|e| TestCaseError::fail(e.to_string()))?.event,
                    &p.event
                );
            }
        }
        Ok(())
    }

    /// Folds what was accepted: each contact's steps, and the agents' states in turn.
    fn fold(accepted: &[ParsedEvent], t: &TenantId) -> Result<(), TestCaseError> {
        let mut contacts: Vec<&str> = accepted
            .iter()
            .filter_map(|p| p.event.contact_id())
            .collect();
        contacts.sort_unstable();
        contacts.dedup();
        for c in contacts {
            if let Folded::Refused(r) = fold_contact(t, c, accepted) {
                prop_assert!(!r.reason.is_empty(), "{:?}", r);
            }
        }
        let mut open: Vec<AgentInterval> = Vec::new();
        for p in accepted {
            if let EventBody::Agent(a) = &p.event.body {
                let step = agent_step(&open, t, p.event.at, a);
                open.retain(|i| !step.closed.contains(i));
                open.extend(step.write.into_iter().filter(|i| i.end.is_none()));
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn good_events_are_good(i in 0..GOOD.len()) {
            let got = parse_event(GOOD[i].as_bytes(), i, &tenant());
            prop_assert!(got.is_ok(), "{:?}", got);
        }

        #[test]
        fn arbitrary_bodies(body in proptest::collection::vec(any::<u8>(), 0..600)) {
            let t = tenant();
            if let Ok(items) = split_body(&body) {
                let mut accepted = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let result = parse_event(item, i, &t);
                    check(&result, i, &t)?;
                    accepted.extend(result.ok());
                }
                fold(&accepted, &t)?;
            }
        }

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let t = tenant();
            check(&parse_event(&bytes, 5, &t), 5, &t)?;
        }

        /// Requests of events made of plausible fields, and of good events changed.
        #[test]
        fn plausible_and_mutated_events(
            made in proptest::collection::vec(
                proptest::collection::vec((prop::sample::select(KEYS), value()), 0..9), 0..6),
            edits in proptest::collection::vec(
                (0..GOOD.len(), prop::sample::select(KEYS), prop::option::of(value())), 0..8),
            cut in prop::option::of((0..GOOD.len(), any::<prop::sample::Index>())),
        ) {
            let t = tenant();
            let mut lines: Vec<Vec<u8>> = made.iter().map(|f| object(f).into_bytes()).collect();
            let mut good: Vec<serde_json::Map<String, serde_json::Value>> = GOOD
                .iter()
                .map(|g| serde_json::from_str(g).unwrap_or_default())
                .collect();
            let mut texts: Vec<Vec<(String, String)>> = good
                .iter_mut()
                .map(|m| std::mem::take(m).into_iter().map(|(k, v)| (k, v.to_string())).collect())
                .collect();
            for (g, key, v) in &edits {
                let fields = &mut texts[*g];
                fields.retain(|(k, _)| k != key);
                if let Some(v) = v {
                    fields.push(((*key).to_owned(), v.clone()));
                }
            }
            for (g, fields) in texts.iter().enumerate() {
                let pairs: Vec<(&str, String)> = fields.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                let mut line = object(&pairs).into_bytes();
                if let Some((c, at)) = cut {
                    if c == g {
                        line.truncate(at.index(line.len() + 1));
                    }
                }
                lines.push(line);
            }
            let mut accepted = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let result = parse_event(line, i, &t);
                check(&result, i, &t)?;
                accepted.extend(result.ok());
            }
            fold(&accepted, &t)?;
        }

        /// NDJSON: a good event, bad lines, a good event: both good ones accepted at their
        /// index (the body starts with the good one, so it is read as lines).
        #[test]
        fn good_lines_survive_bad_neighbours(
            first in 0..GOOD.len(),
            last in 0..GOOD.len(),
            bad in proptest::collection::vec(
                proptest::collection::vec(any::<u8>(), 0..100).prop_map(|mut l| {
                    l.retain(|b| *b != b'\n');
                    l
                }),
                0..5,
            ),
            crlf in any::<bool>(),
        ) {
            let t = tenant();
            let end: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            let mut body = GOOD[first].as_bytes().to_vec();
            for l in &bad {
                body.extend_from_slice(end);
                body.extend_from_slice(l);
            }
            body.extend_from_slice(end);
            body.extend_from_slice(GOOD[last].as_bytes());
            let items = split_body(&body).map_err(TestCaseError::fail)?;
            let kept = bad.iter().filter(|l| l.iter().any(|b| !b.is_ascii_whitespace())).count();
            prop_assert_eq!(items.len(), kept + 2);
            for (i, item) in items.iter().enumerate() {
                let result = parse_event(item, i, &t);
                check(&result, i, &t)?;
                if i == 0 || i == items.len() - 1 {
                    prop_assert!(result.is_ok(), "good event {} lost: {:?}", i, result);
                }
            }
        }

        /// A JSON array: good, any JSON values, good.
        #[test]
        fn good_elements_survive_bad_neighbours(
            first in 0..GOOD.len(),
            last in 0..GOOD.len(),
            bad in proptest::collection::vec(
                prop_oneof![
                    value(),
                    proptest::collection::vec((prop::sample::select(KEYS), value()), 0..6)
                        .prop_map(|f| object(&f)),
                ],
                0..5,
            ),
        ) {
            let t = tenant();
            let mut elements = vec![GOOD[first].to_owned()];
            elements.extend(bad.iter().filter(|v| serde_json::from_str::<serde_json::Value>(v).is_ok()).cloned());
            elements.push(GOOD[last].to_owned());
            let body = format!("[{}]", elements.join(","));
            let items = split_body(body.as_bytes()).map_err(TestCaseError::fail)?;
            prop_assert_eq!(items.len(), elements.len());
            for (i, item) in items.iter().enumerate() {
                let result = parse_event(item, i, &t);
                check(&result, i, &t)?;
                if i == 0 || i == items.len() - 1 {
                    prop_assert!(result.is_ok(), "good event {} lost: {:?}", i, result);
                }
            }
        }
    }
}
