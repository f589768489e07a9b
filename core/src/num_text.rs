//! [`FloatText`] and [`IntText`]: an `f64` or `i128` written exactly as
//! Rust's own `{}` (and for floats `{:?}`) writes it, with less code.
//!
//! Why not std's: its float formatting (Grisu with a Dragon fallback, plus the
//! fixed-precision modes that any use of `f64: Display` links in) is ~12 KB of
//! the npm package's .wasm, and its 128-bit integer formatting another 1.3 KB,
//! where both only write numbers in messages and listings. Floats here use a
//! small exact (bignum) version of the Dragon4 shortest-digits algorithm that
//! std itself falls back to: slower, which does not matter there, and much
//! smaller. Tests check both against std.

use core::cmp::Ordering;
use core::fmt;

use alloc::vec::Vec;

/// `{}` of `FloatText(x)` is `{}` of `x` (`0.1`, `-0`, `1e21` as
/// `1000000000000000000000`, `inf`, `NaN`); `{:?}` is `{:?}` of `x` (`1.0`,
/// `1e16`, `1.5e-5`). Width, precision and `+` flags are not supported.
///
/// ```
/// use larder_core::FloatText;
/// assert_eq!(format!("{}", FloatText(1e21)), format!("{}", 1e21));
/// assert_eq!(format!("{:?}", FloatText(-1.5e-7)), "-1.5e-7");
/// ```
#[derive(Clone, Copy)]
pub struct FloatText(pub f64);

impl fmt::Display for FloatText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self.0, false)
    }
}

impl fmt::Debug for FloatText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self.0, true)
    }
}

/// `{}` of `IntText(i)` is `{}` of `i`, written with 64-bit arithmetic only.
///
/// ```
/// use larder_core::IntText;
/// assert_eq!(format!("{}", IntText(i128::MIN)), i128::MIN.to_string());
/// ```
#[derive(Clone, Copy)]
pub struct IntText(pub i128);

impl fmt::Display for IntText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Ok(small) = i64::try_from(self.0) {
            return write!(f, "{small}");
        }
        if self.0 < 0 {
            f.write_str("-")?;
        }
        // Nine digits at a time, dividing the two 64-bit halves by 10^9 with
        // 64-bit divisions: u128 division would link compiler_builtins'
        // 128-bit division (a kilobyte of wasm) for this alone.
        const E9: u64 = 1_000_000_000;
        let v = self.0.unsigned_abs();
        let (mut high, mut low) = ((v >> 64) as u64, v as u64);
        let mut buf = [b'0'; 45];
        let mut start = buf.len();
        while high != 0 || low != 0 {
            let rem = high % E9;
            high /= E9;
            let mid = (rem << 32) | (low >> 32);
            let (q1, rem) = (mid / E9, mid % E9);
            let bottom = (rem << 32) | (low & 0xffff_ffff);
            let (q0, mut rem) = (bottom / E9, bottom % E9);
            low = (q1 << 32) | q0;
            for _ in 0..9 {
                start -= 1;
                buf[start] = b'0' + (rem % 10) as u8;
                rem /= 10;
            }
        }
        while buf[start] == b'0' {
            start += 1;
        }
        text(f, &buf[start..])
    }
}

/// `{}` of `HexText(v, width)` is `{:0width$x}` of `v`: lower-case hex, zero
/// padded to at least `width` digits, without std's hex formatting and padding
/// code for each integer type.
///
/// ```
/// use larder_core::HexText;
/// assert_eq!(HexText(0xff, 4).to_string(), "00ff");
/// assert_eq!(HexText(u64::MAX, 2).to_string(), "ffffffffffffffff");
/// ```
#[derive(Clone, Copy)]
pub struct HexText(pub u64, pub usize);

impl fmt::Display for HexText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 16];
        let (mut v, mut start) = (self.0, buf.len());
        loop {
            start -= 1;
            buf[start] = b"0123456789abcdef"[(v & 0xf) as usize];
            v >>= 4;
            if v == 0 {
                break;
            }
        }
        zeros(f, self.1.saturating_sub(buf.len() - start))?;
        text(f, &buf[start..])
    }
}

/// `u64::from_str_radix(s, radix).ok()` (so `s.parse::<u64>().ok()` with
/// radix 10): an optional `+`, then at least one digit, upper or lower case.
/// By hand, without std's integer parsing code for each type.
///
/// ```
/// use larder_core::parse_u64;
/// assert_eq!(parse_u64("+42", 10), Some(42));
/// assert_eq!(parse_u64("fF", 16), Some(255));
/// assert_eq!(parse_u64("18446744073709551616", 10), None);
/// ```
pub fn parse_u64(s: &str, radix: u32) -> Option<u64> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    digits.chars().try_fold(0u64, |v, c| {
        v.checked_mul(u64::from(radix))?
            .checked_add(u64::from(c.to_digit(radix)?))
    })
}

/// std's `float_to_decimal_display` (`debug` false) and `float_to_general_debug`.
fn write(f: &mut fmt::Formatter<'_>, x: f64, debug: bool) -> fmt::Result {
    if x.is_nan() {
        return f.write_str("NaN");
    }
    if x.is_sign_negative() {
        f.write_str("-")?;
    }
    let abs = x.abs();
    if abs.is_infinite() {
        return f.write_str("inf");
    }
    let frac_digits = usize::from(debug);
    if abs == 0.0 {
        return f.write_str(if debug { "0.0" } else { "0" });
    }
    let (digits, exp) = shortest(abs);
    if debug && !(1e-4..1e16).contains(&abs) {
        exp_form(f, &digits, exp)
    } else {
        dec_form(f, &digits, exp, frac_digits)
    }
}

/// `0.<digits> * 10^exp` in positional notation with at least `frac_digits`
/// digits after the point (std's `digits_to_dec_str`).
fn dec_form(
    f: &mut fmt::Formatter<'_>,
    digits: &[u8],
    exp: i32,
    frac_digits: usize,
) -> fmt::Result {
    let n = digits.len();
    if exp <= 0 {
        let lead = exp.unsigned_abs() as usize;
        f.write_str("0.")?;
        zeros(f, lead)?;
        text(f, digits)?;
        zeros(f, frac_digits.saturating_sub(n).saturating_sub(lead))
    } else {
        let exp = exp as usize;
        if exp < n {
            text(f, &digits[..exp])?;
            f.write_str(".")?;
            text(f, &digits[exp..])?;
            zeros(f, frac_digits.saturating_sub(n - exp))
        } else {
            text(f, digits)?;
            zeros(f, exp - n)?;
            if frac_digits > 0 {
                f.write_str(".")?;
                zeros(f, frac_digits)?;
            }
            Ok(())
        }
    }
}

/// `0.<digits> * 10^exp` as `d.ddde-x` (std's `digits_to_exp_str`, lower case).
fn exp_form(f: &mut fmt::Formatter<'_>, digits: &[u8], exp: i32) -> fmt::Result {
    text(f, &digits[..1])?;
    if digits.len() > 1 {
        f.write_str(".")?;
        text(f, &digits[1..])?;
    }
    write!(f, "e{}", exp - 1)
}

fn text(f: &mut fmt::Formatter<'_>, ascii: &[u8]) -> fmt::Result {
    ascii
        .iter()
        .try_for_each(|&c| fmt::Write::write_char(f, char::from(c)))
}

fn zeros(f: &mut fmt::Formatter<'_>, n: usize) -> fmt::Result {
    (0..n).try_for_each(|_| f.write_str("0"))
}

/// The shortest digits that read back as `v` (finite, positive), the closest
/// to `v` among them, as ASCII, and `exp` with `v ≈ 0.<digits> * 10^exp`:
/// std's `flt2dec::decode` followed by `strategy::dragon::format_shortest`.
fn shortest(v: f64) -> (Vec<u8>, i32) {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    // `v = mant * 2^exp`; its neighbours are `(mant - minus) * 2^exp` and
    // `(mant + plus) * 2^exp`, reading back as `v` inclusive when the
    // mantissa is even.
    let (mant, minus, plus, exp, inclusive) = if biased == 0 {
        // Subnormal: std doubles the mantissa first, so it always counts as even.
        (frac << 1, 1, 1, -1075, true)
    } else {
        let m = frac | (1 << 52);
        let e = biased - 1075;
        if frac == 0 {
            // A power of two: the gap below is half the gap above.
            (m << 2, 1, 2, e - 2, true)
        } else {
            (m << 1, 1, 1, e - 1, m & 1 == 0)
        }
    };
    // `a.cmp(b) < rounding` is `a <= b` when inclusive, else `a < b`.
    let rounding = if inclusive {
        Ordering::Greater
    } else {
        Ordering::Equal
    };
    // std's `estimate_scaling_factor`: `10^(k-1) < high <= 10^(k+1)`.
    let nbits = 64 - i64::from((mant + plus - 1).leading_zeros());
    let mut k = (((nbits + i64::from(exp)) * 1_292_913_986) >> 32) as i32;

    let mut mant = Big::from(mant);
    let mut minus = Big::from(minus);
    let mut plus = Big::from(plus);
    let mut scale = Big::from(1);
    if exp < 0 {
        scale.mul_pow2(exp.unsigned_abs());
    } else {
        for b in [&mut mant, &mut minus, &mut plus] {
            b.mul_pow2(exp as u32);
        }
    }
    if k >= 0 {
        scale.mul_pow10(k as u32);
    } else {
        for b in [&mut mant, &mut minus, &mut plus] {
            b.mul_pow10(k.unsigned_abs());
        }
    }
    if scale.cmp(&mant.sum(&plus)) < rounding {
        k += 1;
    } else {
        for b in [&mut mant, &mut minus, &mut plus] {
            b.mul_small(10);
        }
    }

    let mut digits = Vec::with_capacity(17);
    let (down, up) = loop {
        let mut d = b'0';
        while mant.cmp(&scale) != Ordering::Less {
            mant.sub(&scale);
            d += 1;
        }
        digits.push(d);
        let down = mant.cmp(&minus) < rounding;
        let up = scale.cmp(&mant.sum(&plus)) < rounding;
        if down || up {
            break (down, up);
        }
        for b in [&mut mant, &mut minus, &mut plus] {
            b.mul_small(10);
        }
    };
    if up && (!down || mant.sum(&mant).cmp(&scale) != Ordering::Less) {
        // Round the last digit up, carrying through nines.
        match digits.iter().rposition(|&c| c != b'9') {
            Some(i) => {
                digits[i] += 1;
                digits[i + 1..].fill(b'0');
            }
            None => {
                digits.fill(b'0');
                digits[0] = b'1';
                digits.push(b'0');
                k += 1;
            }
        }
    }
    (digits, k)
}

/// Enough 32-bit limbs for every intermediate value of an f64 (std uses the same).
const LIMBS: usize = 40;

/// An unsigned integer of [`LIMBS`] limbs, least significant first.
#[derive(Clone, Copy)]
struct Big([u32; LIMBS]);

impl From<u64> for Big {
    fn from(v: u64) -> Big {
        let mut b = [0; LIMBS];
        b[0] = v as u32;
        b[1] = (v >> 32) as u32;
        Big(b)
    }
}

impl Big {
    fn mul_small(&mut self, m: u32) {
        let mut carry = 0;
        for d in &mut self.0 {
            let v = u64::from(*d) * u64::from(m) + carry;
            *d = v as u32;
            carry = v >> 32;
        }
    }

    fn mul_pow2(&mut self, mut n: u32) {
        while n > 0 {
            let step = n.min(31);
            self.mul_small(1 << step);
            n -= step;
        }
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n > 0 {
            let step = n.min(9);
            self.mul_small(10u32.pow(step));
            n -= step;
        }
    }

    fn sum(&self, other: &Big) -> Big {
        let mut out = *self;
        let mut carry = 0;
        for (d, &o) in out.0.iter_mut().zip(&other.0) {
            let v = u64::from(*d) + u64::from(o) + carry;
            *d = v as u32;
            carry = v >> 32;
        }
        out
    }

    /// `self -= other`, where `other <= self`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = false;
        for (d, &o) in self.0.iter_mut().zip(&other.0) {
            let (v, b1) = d.overflowing_sub(o);
            let (v, b2) = v.overflowing_sub(u32::from(borrow));
            *d = v;
            borrow = b1 || b2;
        }
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

#[cfg(test)]
mod tests {
    use super::{FloatText, HexText, IntText, parse_u64};
    use alloc::format;

    #[test]
    fn parse_u64_matches_std() {
        let max = format!("{}", u64::MAX);
        let over = format!("{max}0");
        let cases = [
            "",
            "+",
            "-",
            "-0",
            "+0",
            "0",
            "00",
            "++1",
            "1+",
            " 1",
            "1 ",
            "a",
            "fF",
            "FFFFFFFFFFFFFFFF",
            "10000000000000000",
            "18446744073709551615",
            "18446744073709551616",
            &max,
            &over,
            "12.3",
            "٣",
            "1_000",
        ];
        for s in cases {
            assert_eq!(parse_u64(s, 10), s.parse::<u64>().ok(), "{s:?}");
            assert_eq!(
                parse_u64(s, 16),
                u64::from_str_radix(s, 16).ok(),
                "{s:?} hex"
            );
        }
    }

    #[test]
    fn hex_matches_std() {
        for v in [0, 1, 0xf, 0x10, 0xff, 0x1234, u64::from(u32::MAX), u64::MAX] {
            for w in [0, 1, 2, 4, 16, 20] {
                assert_eq!(format!("{}", HexText(v, w)), format!("{v:0w$x}"));
            }
        }
    }

    #[test]
    fn ints_match_std() {
        let mut edges = alloc::vec![0, 1, -1, i128::MAX, i128::MIN, i128::MIN + 1];
        for p in 0..128 {
            let b = 1u128 << p;
            for v in [b.wrapping_sub(1), b, b.wrapping_add(1)] {
                edges.extend([v as i128, (v as i128).wrapping_neg()]);
            }
        }
        let mut t = 1i128;
        for _ in 0..38 {
            t *= 10;
            edges.extend([t - 1, t, t + 1, -t - 1, -t, 1 - t]);
        }
        for i in edges {
            assert_eq!(format!("{}", IntText(i)), format!("{i}"));
        }
    }

    fn check(x: f64) {
        assert_eq!(
            format!("{}", FloatText(x)),
            format!("{x}"),
            "{{}} of {:#x}",
            x.to_bits()
        );
        assert_eq!(
            format!("{:?}", FloatText(x)),
            format!("{x:?}"),
            "{{:?}} of {:#x}",
            x.to_bits()
        );
    }

    #[test]
    fn edge_cases_match_std() {
        let specials = [
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            f64::from_bits(1),
            f64::from_bits(0x000f_ffff_ffff_ffff),
            0.1,
            0.3,
            1.0 / 3.0,
            1e-4,
            9.999_999_999_999_999e-5,
            1e16,
            9_999_999_999_999_998.0,
            1e21,
            1e22,
            1e23,
            5e-324,
            1.7976931348623157e308,
            123_456.789,
            9007199254740993.0,
            2f64.powi(-1074),
        ];
        for x in specials {
            check(x);
            check(-x);
        }
        for e in -1074..=1023 {
            let p = 2f64.powi(e);
            check(p);
            check(f64::from_bits(p.to_bits() + 1));
            check(f64::from_bits(p.to_bits().saturating_sub(1)));
        }
        for e in -324..=308 {
            let p: f64 = format!("1e{e}").parse().unwrap();
            check(p);
            check(f64::from_bits(p.to_bits() + 1));
            check(f64::from_bits(p.to_bits().saturating_sub(1)));
        }
    }

    #[test]
    fn short_decimals_match_std() {
        for i in 0..5_000u32 {
            check(f64::from(i) / 1000.0);
            check(f64::from(i) * 0.1);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]
        #[test]
        fn random_bits_match_std(bits: u64) {
            check(f64::from_bits(bits));
        }

        #[test]
        fn random_ints_match_std(i: i128) {
            proptest::prop_assert_eq!(format!("{}", IntText(i)), format!("{i}"));
        }
    }
}
