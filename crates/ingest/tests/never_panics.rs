//! The contacts parser accepts or rejects any bytes; it never panics.

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
