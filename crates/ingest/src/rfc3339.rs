//! The one shape of RFC 3339 time that nearly every record carries
//! (`2021-01-04T09:12:44+08:00`, `...44.250Z`), read without the general parser: an import
//! reads six or eight of them per line, and the general parser was a fifth of its time.
//! Anything else (lower-case `t`, a space, a leap second, an odd offset) is left to jiff,
//! which decides; where both read a time they read the same one (tested below).

use jiff::Timestamp;

fn digits<const N: usize>(s: &[u8], at: usize) -> Option<u32> {
    let mut v = 0u32;
    for &b in s.get(at..at + N)? {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Some(v)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, or `None` when `s` is not exactly that.
pub fn parse_common(s: &str) -> Option<Timestamp> {
    let s = s.as_bytes();
    if s.len() < 20 || s[4] != b'-' || s[7] != b'-' || s[10] != b'T' {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let year = i64::from(digits::<4>(s, 0)?);
    let month = digits::<2>(s, 5)?;
    let day = digits::<2>(s, 8)?;
    let hour = digits::<2>(s, 11)?;
    let minute = digits::<2>(s, 14)?;
    let second = digits::<2>(s, 17)?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0i32;
    if s[at] == b'.' {
        at += 1;
        let start = at;
        while at < s.len() && s[at].is_ascii_digit() {
            at += 1;
        }
        let n = at - start;
        if n == 0 || n > 9 {
            return None;
        }
        let mut v = 0i32;
        for &b in &s[start..at] {
            v = v * 10 + i32::from(b - b'0');
        }
        nanos = v * 10i32.pow(u32::try_from(9 - n).ok()?);
    }
    let offset_s = match s.get(at..)? {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hh = digits::<2>(&[*h1, *h2], 0)?;
            let mm = digits::<2>(&[*m1, *m2], 0)?;
            if hh > 23 || mm > 59 {
                return None;
            }
            let o = i64::from(hh * 3600 + mm * 60);
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let local =
        days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Timestamp::new(local - offset_s, nanos).ok()
}

/// An RFC 3339 time with an offset: the common shape directly, the rest through jiff.
pub fn parse(s: &str) -> Option<Timestamp> {
    parse_common(s).or_else(|| s.parse::<Timestamp>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_what_jiff_reads() {
        for s in [
            "2021-01-04T09:12:44+08:00",
            "2021-02-01T01:00:00+08:00",
            "2020-02-29T23:59:59Z",
            "1999-12-31T23:59:59.5-05:30",
            "2021-06-30T12:00:00.123456789+00:00",
            "0001-01-01T00:00:00Z",
            "9999-12-30T21:59:59Z",
        ] {
            assert_eq!(
                parse_common(s),
                s.parse::<Timestamp>().ok(),
                "{s} read differently"
            );
            assert!(parse_common(s).is_some(), "{s} should take the fast path");
        }
    }

    #[test]
    fn leaves_other_shapes_to_jiff() {
        for s in [
            "2021-02-29T00:00:00Z",
            "2021-01-04 09:12:44+08:00",
            "2021-01-04t09:12:44+08:00",
            "2021-01-04T09:12:44",
            "2021-01-04T24:00:00Z",
            "2021-01-04T09:12:60Z",
            "2021-01-04T09:12:44+0800",
            "2021-01-04T09:12:44.Z",
            "2021-01-04T09:12:44.1234567890Z",
            "2021-13-04T09:12:44Z",
            "2021-01-04T09:12:44+08:00 ",
        ] {
            assert_eq!(parse_common(s), None, "{s}");
        }
        // ...and jiff still decides them.
        assert_eq!(
            parse("2021-01-04 09:12:44+08:00"),
            "2021-01-04T01:12:44Z".parse().ok()
        );
        assert_eq!(parse("2021-02-29T00:00:00Z"), None);
    }

    proptest! {
        #[test]
        fn agrees_with_jiff_on_any_time(
            secs in -62_135_596_800i64..253_402_100_000,
            nanos in 0i32..1_000_000_000,
            offset_min in -23 * 60i32..=23 * 60,
            digits in 0usize..=9,
        ) {
            let t = Timestamp::new(secs, 0).expect("in jiff's range");
            let tz = jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(offset_min * 60).expect("offset"));
            let dt = t.to_zoned(tz).datetime();
            let frac = if digits == 0 { String::new() } else {
                format!(".{:09}", nanos)[..=digits].to_owned()
            };
            let sign = if offset_min < 0 { '-' } else { '+' };
            let s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{sign}{:02}:{:02}",
                dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second(),
                offset_min.abs() / 60, offset_min.abs() % 60
            );
            prop_assume!(dt.year() >= 1);
            prop_assert_eq!(parse_common(&s), s.parse::<Timestamp>().ok(), "{}", s);
        }

        #[test]
        fn never_reads_what_jiff_would_not(s in "[0-9T:Z+.-]{18,32}") {
            if let Some(t) = parse_common(&s) {
                prop_assert_eq!(Some(t), s.parse::<Timestamp>().ok(), "{}", s);
            }
        }
    }
}
