//! The code hash: XXH3-64 of a function's tokens, fed token by token (kind,
//! text, spacing, nesting) rather than through their printed form, so that
//! only an edit of the code changes it, never how a compiler prints it.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use xxhash_rust::xxh3::Xxh3;

pub(crate) fn code_hash(tokens: TokenStream) -> String {
    let mut h = Xxh3::new();
    feed(&mut h, tokens);
    format!("{:016x}", h.digest())
}

fn feed(h: &mut Xxh3, tokens: TokenStream) {
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                let open = match g.delimiter() {
                    Delimiter::Parenthesis => b'(',
                    Delimiter::Brace => b'{',
                    Delimiter::Bracket => b'[',
                    Delimiter::None => b'0',
                };
                h.update(&[b'g', open]);
                feed(h, g.stream());
                h.update(b"/g");
            }
            TokenTree::Ident(i) => text(h, b'i', &i.to_string()),
            TokenTree::Literal(l) => text(h, b'l', &l.to_string()),
            TokenTree::Punct(p) => {
                let mut buf = [0u8; 4];
                text(h, b'p', p.as_char().encode_utf8(&mut buf));
                h.update(&[u8::from(p.spacing() == Spacing::Joint)]);
            }
        }
    }
}

fn text(h: &mut Xxh3, kind: u8, s: &str) {
    h.update(&[kind]);
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn edits_change_the_hash_and_spacing_does_not() {
        let a = code_hash(quote!(
            fn f(x: u32) -> u32 {
                x + 1
            }
        ));
        let spaced: TokenStream = "fn f ( x : u32 )  ->  u32 {\n x+1 }".parse().unwrap();
        assert_eq!(a, code_hash(spaced));
        assert_ne!(
            a,
            code_hash(quote!(
                fn f(x: u32) -> u32 {
                    x + 2
                }
            ))
        );
        assert_ne!(
            a,
            code_hash(quote!(
                fn f(x: u32) -> u32 {
                    (x + 1)
                }
            ))
        );
        assert_eq!(a.len(), 16);
    }
}
