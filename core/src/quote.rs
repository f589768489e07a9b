//! [`Quoted`]: a string in double quotes for messages, as Rust's `{:?}`
//! writes it, with less code.
//!
//! Why not std's: `<str as Debug>` decides which characters to escape with
//! Unicode tables (printable characters, grapheme extenders) and their lookup
//! code, ~4 KB of the npm package's .wasm that gzip barely shrinks, where the
//! strings here are only option names, units, tags and paths in messages.

use core::fmt::{self, Write};

use crate::num_text::HexText;

/// `{}` of `Quoted(s)` is `{:?}` of `s` (`"a\"b\n"`, `"\u{1b}"`), except that
/// of the characters std escapes by its Unicode tables only the invisible
/// ones listed in `INVISIBLE` (zero-width spaces and joiners, bidirectional
/// controls, the byte order mark, variation selectors, private use) are
/// escaped; other combining marks and unassigned code points are written as
/// they are. Width and other flags are not supported.
///
/// ```
/// use larder_core::Quoted;
/// assert_eq!(Quoted("a\"b\\\n\0").to_string(), format!("{:?}", "a\"b\\\n\0"));
/// assert_eq!(Quoted("x\u{1b}\u{200b}é").to_string(), r#""x\u{1b}\u{200b}é""#);
/// ```
#[derive(Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

/// Inclusive ranges of characters escaped besides the controls (all of them
/// escaped by std's `{:?}` too).
const INVISIBLE: [(u32, u32); 17] = [
    (0xad, 0xad),        // soft hyphen
    (0x34f, 0x34f),      // combining grapheme joiner
    (0x61c, 0x61c),      // Arabic letter mark
    (0x180b, 0x180f),    // Mongolian variation selectors and vowel separator
    (0x200b, 0x200f),    // zero-width space, (non-)joiner, direction marks
    (0x2028, 0x202e),    // line and paragraph separators, embeddings, overrides
    (0x2060, 0x206f),    // word joiner, invisible operators, isolates
    (0xd800, 0xdfff),    // surrogates (never in a str; keeps the ranges whole)
    (0xe000, 0xf8ff),    // private use
    (0xfe00, 0xfe0f),    // variation selectors
    (0xfeff, 0xfeff),    // byte order mark, zero-width no-break space
    (0xfff0, 0xfffb),    // unassigned, interlinear annotation
    (0xfffe, 0xffff),    // noncharacters
    (0x1bca0, 0x1bca3),  // shorthand format controls
    (0x1d173, 0x1d17a),  // musical symbol format controls
    (0xe0000, 0xe0fff),  // tags, variation selectors supplement
    (0xf0000, 0x10ffff), // private use planes
];

fn escaped(c: char) -> bool {
    let u = u32::from(c);
    c.is_control() || INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&u))
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        let mut rest = self.0;
        while let Some(i) = rest.find(|c: char| c == '"' || c == '\\' || escaped(c)) {
            f.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().unwrap_or('\0');
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\0' => f.write_str("\\0")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c => {
                    write!(f, "\\u{{{}}}", HexText(u64::from(c), 1))?;
                }
            }
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)?;
        f.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    use super::Quoted;
    use alloc::format;
    use alloc::string::ToString;

    /// Every character alone and between others: std's text, or (for a
    /// character std escapes by its Unicode tables only) the character as it is.
    #[test]
    fn matches_std_or_writes_the_char() {
        for u in 0..=0x10ffffu32 {
            let Some(c) = char::from_u32(u) else { continue };
            let s = format!("a{c}b");
            let ours = Quoted(&s).to_string();
            let std = format!("{s:?}");
            if ours != std {
                assert_eq!(ours, format!("\"{s}\""), "U+{u:04X}");
                assert!(std.contains("\\u{"), "U+{u:04X}: std writes {std}");
                assert!(u >= 0x80, "U+{u:04X}");
            }
        }
    }

    #[test]
    fn ascii_and_common_strings_match_std() {
        let all: alloc::string::String = (0u8..0x80).map(char::from).collect();
        for s in [
            &*all,
            "",
            "caf\u{e9}",
            "日本語",
            "a\u{200b}b\u{feff}",
            "\u{1F600}\u{e0001}",
        ] {
            assert_eq!(Quoted(s).to_string(), format!("{s:?}"));
        }
    }
}
