//! Human-friendly sizes and durations: `"512MB"`, `"2GiB"`, `"90s"`, `"1h30m"`.
//!
//! Parsing is exact integer arithmetic, never floating point: `"1.1GB"` is
//! exactly 1 100 000 000 bytes, and a fraction that does not land on a whole
//! byte (or millisecond) is rounded down. Every rejected input gets an
//! [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error whose
//! context is the input and whose message names the accepted forms.
//!
//! Formatting ([`format_size`], [`format_duration_ms`]) is for display. It
//! rounds down too, so parsing what it prints never yields more than the
//! original value.

use alloc::format;
use alloc::string::{String, ToString};

use crate::error::{Error, Result};
use crate::quote::Quoted;

const SIZE_OP: &str = "parse size";
const DURATION_OP: &str = "parse duration";

const SIZE_UNITS_HELP: &str = "accepted units are B, KB, MB, GB, TB, PB, EB (powers of 1000) and KiB, MiB, GiB, TiB, \
     PiB, EiB (powers of 1024), in any case; no unit means bytes";
const DURATION_UNITS_HELP: &str =
    "accepted units are ms, s, m (minutes), h, d, w; components may be combined, as in \"1h30m\"";

const KIB: u64 = 1 << 10;
const MS_PER_S: u64 = 1000;
const MS_PER_M: u64 = 60 * MS_PER_S;
const MS_PER_H: u64 = 60 * MS_PER_M;
const MS_PER_D: u64 = 24 * MS_PER_H;
const MS_PER_W: u64 = 7 * MS_PER_D;

/// A non-negative decimal number as written: its integer digits and its fraction digits.
struct Decimal<'a> {
    int: &'a str,
    frac: &'a str,
}

impl Decimal<'_> {
    /// `self * mult`, rounded down; `None` when it does not fit in a `u64`.
    fn times(&self, mult: u64) -> Option<u64> {
        let mut int: u64 = 0;
        for d in self.int.bytes() {
            int = int.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        // floor(0.d1 d2 .. dn * mult), exactly: fold the digits from the right,
        // using floor((d * mult + floor(y)) / 10) == floor((d * mult + y) / 10).
        // The accumulator stays below `mult`, so `d * mult + frac` is below
        // `10 * mult`, which fits in a u64 for every unit (the largest, EiB,
        // is 2^60); the checks only keep a larger `mult` from overflowing.
        let mut frac: u64 = 0;
        for d in self.frac.bytes().rev() {
            frac = u64::from(d - b'0').checked_mul(mult)?.checked_add(frac)? / 10;
        }
        int.checked_mul(mult)?.checked_add(frac)
    }
}

/// Splits a leading decimal number (`123`, `1.5`) off `s`.
///
/// Digits are required on both sides of a decimal point; signs, exponents,
/// `inf` and `NaN` are not numbers here.
fn split_number(s: &str) -> core::result::Result<(Decimal<'_>, &str), &'static str> {
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let (int, rest) = s.split_at(int_len);
    if int.is_empty() {
        return Err(match rest.bytes().next() {
            None => "expected a number",
            Some(b'-') => "a negative value is not allowed",
            Some(b'.') => "expected a digit before the decimal point (write 0.5, not .5)",
            Some(_) => "expected a number",
        });
    }
    let Some(after_dot) = rest.strip_prefix('.') else {
        return Ok((Decimal { int, frac: "" }, rest));
    };
    let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
    if frac_len == 0 {
        return Err("expected a digit after the decimal point");
    }
    let (frac, rest) = after_dot.split_at(frac_len);
    Ok((Decimal { int, frac }, rest))
}

/// Splits a leading run of ASCII letters off `s`.
fn split_unit(s: &str) -> (&str, &str) {
    let len = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    s.split_at(len)
}

/// Parses a byte size such as `"512MB"`, `"2GiB"`, `"1.5GB"`, `"100 kB"` or `"1024"`.
///
/// Units, in any case: `B`, `KB`, `MB`, `GB`, `TB` (and `PB`, `EB`) are powers
/// of 1000; `KiB`, `MiB`, `GiB`, `TiB` (and `PiB`, `EiB`, which [`format_size`]
/// may print) are powers of 1024; no unit means bytes.
/// The bare letters `K`, `M`, `G`, `T` are rejected because people mean
/// both 1000 and 1024 by them. A fraction is allowed and the result is
/// rounded down to whole bytes. Spaces may separate the number and the unit.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput), with the input as
/// context, for an empty, negative or malformed number, an unknown or ambiguous
/// unit, or a size beyond `u64::MAX` bytes.
///
/// ```
/// use larder_core::units::parse_size;
/// assert_eq!(parse_size("512MB")?, 512_000_000);
/// assert_eq!(parse_size("2GiB")?, 2 * 1024 * 1024 * 1024);
/// assert_eq!(parse_size("1.5kb")?, 1500);
/// assert_eq!(parse_size("100 KiB")?, 102_400);
/// assert_eq!(parse_size("1024")?, 1024);
///
/// let err = parse_size("10M").unwrap_err();
/// assert!(err.message().contains("write MB for powers of 1000 or MiB"));
/// # Ok::<(), larder_core::Error>(())
/// ```
pub fn parse_size(s: &str) -> Result<u64> {
    let fail = |msg: String| Error::invalid(SIZE_OP, msg).with_context(Quoted(s).to_string());
    let input = s.trim();
    if input.is_empty() {
        return Err(fail(format!(
            "expected a size such as \"512MB\" or \"2GiB\"; {SIZE_UNITS_HELP}"
        )));
    }
    let (number, rest) =
        split_number(input).map_err(|m| fail(format!("{m}; {SIZE_UNITS_HELP}")))?;
    let (unit, trailing) = split_unit(rest.trim_start());
    if !trailing.is_empty() {
        return Err(fail(format!(
            "unexpected {} after the size; write one number and one unit, \
             such as \"512MB\"; {SIZE_UNITS_HELP}",
            Quoted(trailing)
        )));
    }
    let mult = size_unit(unit).map_err(fail)?;
    number.times(mult).ok_or_else(|| {
        fail(format!(
            "the size is too large; the largest is {} bytes (about 16 EiB)",
            u64::MAX
        ))
    })
}

fn size_unit(unit: &str) -> core::result::Result<u64, String> {
    let power = |p: u32, base: u64| base.pow(p);
    let lower = unit.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "" | "b" => 1,
        "kb" => power(1, 1000),
        "mb" => power(2, 1000),
        "gb" => power(3, 1000),
        "tb" => power(4, 1000),
        "pb" => power(5, 1000),
        "eb" => power(6, 1000),
        "kib" => power(1, KIB),
        "mib" => power(2, KIB),
        "gib" => power(3, KIB),
        "tib" => power(4, KIB),
        "pib" => power(5, KIB),
        "eib" => power(6, KIB),
        "k" | "m" | "g" | "t" | "p" | "e" => {
            let u = unit.to_ascii_uppercase();
            return Err(format!(
                "ambiguous unit {}: write {u}B for powers of 1000 or {u}iB for powers of 1024",
                Quoted(unit)
            ));
        }
        _ => return Err(format!("unknown unit {}; {SIZE_UNITS_HELP}", Quoted(unit))),
    })
}

/// Parses a duration such as `"90s"`, `"24h"`, `"1.5h"` or `"1h30m"` into milliseconds.
///
/// Units: `ms`, `s`, `m` (minutes), `h`, `d`, `w`. Components may be combined
/// (`"1h30m"`, `"1h 30m"`) and are added up. Every number needs a unit, so a
/// bare `"90"` is rejected rather than guessed at. Units are case-insensitive
/// except that `M` is rejected: it reads as months as often as minutes.
/// Fractions are allowed and the result is rounded down to whole milliseconds.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput), with the input as
/// context, for an empty, negative or malformed number, a missing or unknown unit,
/// or a total beyond `u64::MAX` milliseconds.
///
/// ```
/// use larder_core::units::parse_duration;
/// assert_eq!(parse_duration("90s")?, 90_000);
/// assert_eq!(parse_duration("500ms")?, 500);
/// assert_eq!(parse_duration("1.5h")?, 90 * 60 * 1000);
/// assert_eq!(parse_duration("1h30m")?, parse_duration("90m")?);
/// assert_eq!(parse_duration("2w")?, 14 * 24 * 3600 * 1000);
///
/// let err = parse_duration("90").unwrap_err();
/// assert!(err.message().contains("unit"));
/// # Ok::<(), larder_core::Error>(())
/// ```
pub fn parse_duration(s: &str) -> Result<u64> {
    let fail = |msg: String| Error::invalid(DURATION_OP, msg).with_context(Quoted(s).to_string());
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(fail(format!(
            "expected a duration such as \"90s\" or \"1h30m\"; {DURATION_UNITS_HELP}"
        )));
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (number, after) =
            split_number(rest).map_err(|m| fail(format!("{m}; {DURATION_UNITS_HELP}")))?;
        let (unit, after) = split_unit(after.trim_start());
        if unit.is_empty() {
            let written = &rest[..rest.len() - after.len()];
            let written = written.trim_end();
            return Err(fail(format!(
                "{} has no unit: write, for example, \"{written}s\" for seconds or \
                 \"{written}ms\" for milliseconds; {DURATION_UNITS_HELP}",
                Quoted(written)
            )));
        }
        let mult = duration_unit(unit).map_err(fail)?;
        total = number
            .times(mult)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| {
                fail(format!(
                    "the duration is too long; the longest is {} ms",
                    u64::MAX
                ))
            })?;
        rest = after.trim_start();
    }
    Ok(total)
}

fn duration_unit(unit: &str) -> core::result::Result<u64, String> {
    if unit == "M" {
        return Err(String::from(
            "ambiguous unit \"M\": write m for minutes (months are not supported, use d or w)",
        ));
    }
    Ok(match unit.to_ascii_lowercase().as_str() {
        "ms" => 1,
        "s" => MS_PER_S,
        "m" => MS_PER_M,
        "h" => MS_PER_H,
        "d" => MS_PER_D,
        "w" => MS_PER_W,
        _ => {
            return Err(format!(
                "unknown unit {}; {DURATION_UNITS_HELP}",
                Quoted(unit)
            ));
        }
    })
}

/// Formats a byte count with binary units for display: `"512 B"`, `"1.5 MiB"`, `"2 GiB"`.
///
/// One decimal at most, rounded down, so the text never overstates the size.
/// The output parses back with [`parse_size`].
///
/// ```
/// use larder_core::units::format_size;
/// assert_eq!(format_size(512), "512 B");
/// assert_eq!(format_size(1536 * 1024), "1.5 MiB");
/// assert_eq!(format_size(2 << 30), "2 GiB");
/// assert_eq!(format_size(u64::MAX), "15.9 EiB");
/// ```
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < KIB {
        return format!("{bytes} B");
    }
    // The largest unit the value reaches: one per 10 bits above the first 10.
    let index = ((63 - bytes.leading_zeros()) / 10) as usize; // 1..=6
    let unit = 1u128 << (10 * index);
    let tenths = u128::from(bytes) * 10 / unit;
    let (whole, tenth) = (tenths / 10, tenths % 10);
    let name = UNITS[index - 1];
    if tenth == 0 {
        format!("{whole} {name}")
    } else {
        format!("{whole}.{tenth} {name}")
    }
}

/// Formats milliseconds for display: `"250ms"`, `"3.2s"`, `"1h 30m"`, `"2d 4h"`.
///
/// Below a second it prints milliseconds, below a minute seconds with at most
/// one decimal, and above that the two largest units. It rounds down, and the
/// output parses back with [`parse_duration`].
///
/// ```
/// use larder_core::units::format_duration_ms;
/// assert_eq!(format_duration_ms(250), "250ms");
/// assert_eq!(format_duration_ms(3_200), "3.2s");
/// assert_eq!(format_duration_ms(90 * 60 * 1000), "1h 30m");
/// assert_eq!(format_duration_ms(3 * 3600 * 1000), "3h");
/// ```
pub fn format_duration_ms(ms: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (MS_PER_W, "w"),
        (MS_PER_D, "d"),
        (MS_PER_H, "h"),
        (MS_PER_M, "m"),
        (MS_PER_S, "s"),
    ];
    if ms < MS_PER_S {
        return format!("{ms}ms");
    }
    if ms < MS_PER_M {
        let (whole, tenth) = (ms / MS_PER_S, ms % MS_PER_S / 100);
        return if tenth == 0 {
            format!("{whole}s")
        } else {
            format!("{whole}.{tenth}s")
        };
    }
    let i = UNITS
        .iter()
        .position(|&(unit, _)| ms >= unit)
        .unwrap_or(UNITS.len() - 1);
    let (big, big_name) = UNITS[i];
    let (small, small_name) = UNITS[i + 1]; // i < 4: ms >= one minute
    let (first, second) = (ms / big, ms % big / small);
    if second == 0 {
        format!("{first}{big_name}")
    } else {
        format!("{first}{big_name} {second}{small_name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use alloc::string::ToString;

    const GIB: u64 = 1 << 30;

    #[track_caller]
    fn size_err(s: &str, needle: &str) {
        let err = parse_size(s).expect_err(s);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{s:?}");
        assert_eq!(err.op(), "parse size");
        assert_eq!(err.context(), Some(format!("{s:?}").as_str()));
        assert!(
            err.message().contains(needle),
            "{s:?}: {:?} lacks {needle:?}",
            err.message()
        );
    }

    #[track_caller]
    fn duration_err(s: &str, needle: &str) {
        let err = parse_duration(s).expect_err(s);
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{s:?}");
        assert_eq!(err.op(), "parse duration");
        assert_eq!(err.context(), Some(format!("{s:?}").as_str()));
        assert!(
            err.message().contains(needle),
            "{s:?}: {:?} lacks {needle:?}",
            err.message()
        );
    }

    #[test]
    fn sizes_accepted() {
        let cases: &[(&str, u64)] = &[
            ("0", 0),
            ("1024", 1024),
            ("10B", 10),
            ("10b", 10),
            ("512MB", 512_000_000),
            ("2GB", 2_000_000_000),
            ("2GiB", 2 * GIB),
            ("2gib", 2 * GIB),
            ("2GIB", 2 * GIB),
            ("1.5GB", 1_500_000_000),
            ("1.5GiB", 3 * GIB / 2),
            ("100 kB", 100_000),
            ("100   KiB", 102_400),
            ("  7 TB  ", 7_000_000_000_000),
            ("1TiB", 1 << 40),
            ("1PiB", 1 << 50),
            ("1EiB", 1 << 60),
            ("15.9EiB", 18_331_451_923_248_866_918),
            ("2pb", 2_000_000_000_000_000),
            ("18.4EB", 18_400_000_000_000_000_000),
            ("3mib", 3 << 20),
            ("0.5", 0),
            ("1.9B", 1),
            ("0.001KB", 1),
            ("0.0009KB", 0),
            ("1.1GB", 1_100_000_000),
            ("007MB", 7_000_000),
            ("18446744073709551615", u64::MAX),
            ("18446744073709551615.999", u64::MAX),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_size(s), Ok(want), "{s:?}");
        }
    }

    #[test]
    fn size_fractions_are_exact_and_floored() {
        // 1/1024 KiB is exactly one byte; a hair less is zero bytes.
        assert_eq!(parse_size("0.0009765625KiB"), Ok(1));
        assert_eq!(parse_size("0.0009765624999999999999999999999999KiB"), Ok(0));
        // 1/2^40 TiB needs 40 decimals to write exactly.
        assert_eq!(
            parse_size("0.0000000000009094947017729282379150390625TiB"),
            Ok(1)
        );
        assert_eq!(
            parse_size("0.0000000000009094947017729282379150390624TiB"),
            Ok(0)
        );
        assert_eq!(
            parse_size("1.99999999999999999999999999999GB"),
            Ok(1_999_999_999)
        );
    }

    #[test]
    fn size_errors() {
        size_err("", "expected a size");
        size_err("   ", "expected a size");
        size_err("-1", "negative");
        size_err("-1GB", "negative");
        size_err("+1GB", "expected a number");
        size_err("GB", "expected a number");
        size_err("NaN", "expected a number");
        size_err("inf", "expected a number");
        size_err("infinity", "expected a number");
        size_err(".5GB", "before the decimal point");
        size_err("5.GB", "after the decimal point");
        size_err("1e9", "unexpected \"9\"");
        size_err("10XB", "unknown unit \"XB\"");
        size_err("10 bytes", "KiB");
        size_err("10K", "KB for powers of 1000 or KiB");
        size_err("10k", "KB for powers of 1000 or KiB");
        size_err("10M", "MB for powers of 1000 or MiB");
        size_err("10G", "GB");
        size_err("10T", "TiB");
        size_err("1GB 2MB", "unexpected");
        size_err("1,5GB", "unexpected");
        size_err("1_000", "unexpected");
        size_err("1.2.3", "unexpected");
        size_err("18446744073709551616", "too large");
        size_err("16EiB", "too large");
        size_err("18.5EB", "too large");
        size_err("1ZB", "unknown unit");
        size_err("17179869184GiB", "too large");
        size_err("99999999999999999999999999999TB", "too large");
        // The message always names the accepted units, except the targeted ones.
        for s in ["", "x", "1x", "-1", "1.", "GB"] {
            let e = parse_size(s).unwrap_err();
            assert!(e.message().contains("KB, MB, GB, TB"), "{s:?}: {e}");
        }
        assert_eq!(
            parse_size("10XB").unwrap_err().to_string(),
            format!("parse size (\"10XB\"): invalid input: unknown unit \"XB\"; {SIZE_UNITS_HELP}")
        );
    }

    #[test]
    fn durations_accepted() {
        let cases: &[(&str, u64)] = &[
            ("0s", 0),
            ("0ms", 0),
            ("500ms", 500),
            ("90s", 90_000),
            ("5m", 300_000),
            ("24h", 86_400_000),
            ("7d", 604_800_000),
            ("2w", 1_209_600_000),
            ("1.5h", 5_400_000),
            ("1.5s", 1_500),
            ("0.0005s", 0),
            ("0.001s", 1),
            ("1h30m", 5_400_000),
            ("1h 30m", 5_400_000),
            ("1h30m15s250ms", 5_415_250),
            ("  2 h  ", 7_200_000),
            ("1H", 3_600_000),
            ("1MS", 1),
            ("1D", 86_400_000),
            ("1m1m", 120_000),
            ("18446744073709551615ms", u64::MAX),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_duration(s), Ok(want), "{s:?}");
        }
    }

    #[test]
    fn duration_errors() {
        duration_err("", "expected a duration");
        duration_err("  ", "expected a duration");
        duration_err("90", "\"90\" has no unit");
        duration_err("0", "\"0s\"");
        duration_err("1.5", "has no unit");
        duration_err("1h30", "\"30\" has no unit");
        duration_err("-5s", "negative");
        duration_err("1h-5m", "negative");
        duration_err("s", "expected a number");
        duration_err("NaN", "expected a number");
        duration_err("inf", "expected a number");
        duration_err(".5s", "before the decimal point");
        duration_err("5.s", "after the decimal point");
        duration_err("5y", "unknown unit \"y\"");
        duration_err("5 secs", "unknown unit \"secs\"");
        duration_err("5us", "unknown unit");
        duration_err("1M", "ambiguous unit \"M\"");
        duration_err("1h,30m", "expected a number");
        duration_err("18446744073709551616ms", "too long");
        duration_err("18446744073709551615ms1ms", "too long");
        duration_err("99999999999999w", "too long");
        for s in ["", "x", "1x", "-1s", "90"] {
            let e = parse_duration(s).unwrap_err();
            assert!(
                e.message().contains("ms, s, m (minutes), h, d, w"),
                "{s:?}: {e}"
            );
        }
    }

    #[test]
    fn sizes_formatted() {
        let cases: &[(u64, &str)] = &[
            (0, "0 B"),
            (1, "1 B"),
            (1023, "1023 B"),
            (1024, "1 KiB"),
            (1536, "1.5 KiB"),
            (1024 * 1024 - 1, "1023.9 KiB"),
            (1536 * 1024, "1.5 MiB"),
            (2 * GIB, "2 GiB"),
            (1 << 40, "1 TiB"),
            (1 << 50, "1 PiB"),
            (1 << 60, "1 EiB"),
            (u64::MAX, "15.9 EiB"),
        ];
        for &(n, want) in cases {
            assert_eq!(format_size(n), want, "{n}");
        }
    }

    #[test]
    fn durations_formatted() {
        let cases: &[(u64, &str)] = &[
            (0, "0ms"),
            (250, "250ms"),
            (999, "999ms"),
            (1_000, "1s"),
            (3_200, "3.2s"),
            (3_299, "3.2s"),
            (59_999, "59.9s"),
            (60_000, "1m"),
            (90_500, "1m 30s"),
            (5_400_000, "1h 30m"),
            (3 * MS_PER_H, "3h"),
            (2 * MS_PER_D + 4 * MS_PER_H + 59 * MS_PER_M, "2d 4h"),
            (10 * MS_PER_D, "1w 3d"),
            (u64::MAX, "30500568904w 6d"),
        ];
        for &(n, want) in cases {
            assert_eq!(format_duration_ms(n), want, "{n}");
        }
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parsers_never_panic(s in any::<alloc::string::String>()) {
                let _ = parse_size(&s);
                let _ = parse_duration(&s);
            }

            #[test]
            fn parsers_never_panic_on_near_misses(s in "[-+ .0-9]{0,24}[ a-zA-Z]{0,5}[.0-9]{0,6}[a-zA-Z]{0,3}") {
                let _ = parse_size(&s);
                let _ = parse_duration(&s);
            }

            #[test]
            fn integers_with_units_parse(n in 0u64..1 << 24) {
                prop_assert_eq!(parse_size(&format!("{n}")), Ok(n));
                prop_assert_eq!(parse_size(&format!("{n} MiB")), Ok(n << 20));
                prop_assert_eq!(parse_size(&format!("{n}kb")), Ok(n * 1000));
                prop_assert_eq!(parse_duration(&format!("{n}s")), Ok(n * 1000));
            }

            #[test]
            fn formatted_sizes_parse_back_no_larger(n in any::<u64>()) {
                let text = format_size(n);
                let back = parse_size(&text).expect("format_size output parses");
                prop_assert!(back <= n, "{} -> {} -> {}", n, text, back);
                // One decimal of the unit at most is lost.
                prop_assert!(n - back <= n / 10, "{} -> {} -> {}", n, text, back);
            }

            #[test]
            fn formatted_durations_parse_back_no_larger(n in any::<u64>()) {
                let text = format_duration_ms(n);
                let back = parse_duration(&text).expect("format_duration_ms output parses");
                prop_assert!(back <= n, "{} -> {} -> {}", n, text, back);
            }
        }
    }
}
