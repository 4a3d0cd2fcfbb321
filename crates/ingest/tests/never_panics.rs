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
