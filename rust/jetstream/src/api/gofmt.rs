//! Go's ways of printing values that end up inside nats-server's error texts and status
//! lines: a `time.Duration` (`1m0s`, `1.5s`, `500µs`) and a `%q`-quoted string. Clients
//! compare those texts, so they are reproduced here rather than approximated.

use std::fmt::Write as _;

const SECOND: u64 = 1_000_000_000;

/// An integer with thousands separators, as nats-server's `comma` writes counts in logs
/// (`1,234,567`).
#[must_use]
pub fn comma(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration of `nanos` nanoseconds as Go's `time.Duration.String` writes it: `0s`, `1ns`,
/// `1.5µs`, `2ms`, `1.5s`, `1m0s`, `2h45m0.5s`, `-3s`.
#[must_use]
pub fn go_duration(nanos: i64) -> String {
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if u < SECOND {
        let (prec, unit) = match u {
            0 => return "0s".to_owned(),
            1..=999 => (0, "ns"),
            1_000..=999_999 => (3, "µs"),
            _ => (6, "ms"),
        };
        push_fraction(&mut out, u, prec);
        out.push_str(unit);
        return out;
    }
    let secs = u / SECOND;
    let (minutes, hours) = (secs / 60, secs / 3600);
    if hours > 0 {
        let _ = write!(out, "{hours}h");
    }
    if minutes > 0 {
        let _ = write!(out, "{}m", minutes % 60);
    }
    push_fraction(&mut out, (secs % 60) * SECOND + u % SECOND, 9);
    out.push('s');
    out
}

/// `v / 10^prec` with its fraction, trailing zeros (and a bare `.`) left out.
fn push_fraction(out: &mut String, v: u64, prec: u32) {
    let scale = 10u64.pow(prec);
    let _ = write!(out, "{}", v / scale);
    let frac = v % scale;
    if frac != 0 {
        let digits = format!("{frac:0width$}", width = prec as usize);
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// `s` quoted as Go's `%q` (`strconv.Quote`) does: in double quotes, with `"` and `\`
/// escaped, the C escapes (`\n`, `\t`, ...) for control characters that have one, `\xHH` for
/// other ASCII controls and `\uHHHH` / `\UHHHHHHHH` for non-printable characters beyond
/// ASCII. Printable characters, non-ASCII included, are kept.
#[must_use]
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            // Go's IsPrint: no controls, and no spaces beyond the ASCII one.
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                if u32::from(c) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                } else {
                    let _ = write!(out, "\\U{:08x}", u32::from(c));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_print_with_commas() {
        assert_eq!(comma(0), "0");
        assert_eq!(comma(999), "999");
        assert_eq!(comma(1000), "1,000");
        assert_eq!(comma(1_234_567), "1,234,567");
    }

    #[test]
    fn durations_print_as_go() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (999, "999ns"),
            (1_000, "1µs"),
            (1_500, "1.5µs"),
            (500_000, "500µs"),
            (1_000_000, "1ms"),
            (1_500_000, "1.5ms"),
            (100_000_000, "100ms"),
            (1_000_000_000, "1s"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (9_900_500_000_000, "2h45m0.5s"),
            (-3_000_000_000, "-3s"),
            (-1, "-1ns"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            (i64::MAX, "2562047h47m16.854775807s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(go_duration(nanos), want, "{nanos}");
        }
    }

    #[test]
    fn quotes_as_go() {
        assert_eq!(go_quote("foo.*"), r#""foo.*""#);
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("a\tb\n\u{1}\u{7f}"), r#""a\tb\n\x01\x7f""#);
        assert_eq!(go_quote("é\u{a0}\u{85}"), r#""é\u00a0\u0085""#);
    }
}
