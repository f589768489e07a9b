//! The options of `#[memoize(...)]`, parsed and checked at compile time.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitInt, LitStr, Token, bracketed};

/// Every option, for the error on an unknown one.
const KNOWN: &str = "namespace, version, ttl, stale_while_revalidate, ignore, content, tags, \
                     key, cache, code_hash, cache_err";

/// A duration given as text, checked and converted to ms here.
pub(crate) struct Millis {
    pub ms: u64,
    pub span: Span,
}

#[derive(Default)]
pub(crate) struct Options {
    pub namespace: Option<LitStr>,
    pub version: Option<u32>,
    pub ttl: Option<Millis>,
    pub stale: Option<Millis>,
    pub ignore: Vec<Ident>,
    pub content: Vec<Ident>,
    pub tags: Vec<Expr>,
    pub key: Option<Expr>,
    pub cache: Option<Expr>,
    pub code_hash: Option<bool>,
    pub cache_err: Option<bool>,
    /// Where each option was given, for errors that involve two of them.
    pub spans: Vec<(String, Span)>,
}

impl Options {
    pub(crate) fn span_of(&self, name: &str) -> Span {
        self.spans
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(Span::call_site, |(_, s)| *s)
    }

    /// Parse one `name = value` option.
    pub(crate) fn parse(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
        let Some(name) = meta.path.get_ident().map(Ident::to_string) else {
            return Err(meta.error(format!("unknown memoize option; the options are: {KNOWN}")));
        };
        let span = meta
            .path
            .get_ident()
            .map_or_else(Span::call_site, Ident::span);
        if self.spans.iter().any(|(n, _)| *n == name) {
            return Err(meta.error(format!("the option `{name}` is given twice")));
        }
        self.spans.push((name.clone(), span));
        let value = meta.value()?;
        match name.as_str() {
            "namespace" => {
                let lit: LitStr = value.parse()?;
                let ns = lit.value();
                if ns.is_empty() || ns.len() > 1024 {
                    return Err(syn::Error::new(
                        lit.span(),
                        "a namespace must be 1 to 1024 bytes long",
                    ));
                }
                self.namespace = Some(lit);
            }
            "version" => {
                let lit: LitInt = value.parse()?;
                self.version = Some(lit.base10_parse::<u32>().map_err(|_| {
                    syn::Error::new(
                        lit.span(),
                        "the version must be an integer from 0 to 4294967295",
                    )
                })?);
            }
            "ttl" => self.ttl = Some(duration(&value.parse()?, "ttl")?),
            "stale_while_revalidate" => {
                self.stale = Some(duration(&value.parse()?, "stale_while_revalidate")?);
            }
            "ignore" => self.ignore = idents(value)?,
            "content" => self.content = idents(value)?,
            "tags" => {
                let content;
                bracketed!(content in value);
                let tags = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?;
                for t in &tags {
                    check_tag(t)?;
                }
                self.tags = tags.into_iter().collect();
            }
            "key" => self.key = Some(value.parse()?),
            "cache" => self.cache = Some(value.parse()?),
            "code_hash" => self.code_hash = Some(value.parse::<LitBool>()?.value),
            "cache_err" => self.cache_err = Some(value.parse::<LitBool>()?.value),
            other => {
                return Err(syn::Error::new(
                    span,
                    format!("unknown memoize option `{other}`; the options are: {KNOWN}"),
                ));
            }
        }
        Ok(())
    }
}

/// `[a, b, c]`
fn idents(value: syn::parse::ParseStream<'_>) -> syn::Result<Vec<Ident>> {
    let content;
    bracketed!(content in value);
    let list = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
    Ok(list.into_iter().collect())
}

/// A duration literal such as `"24h"`, parsed with the same rules as at run time.
fn duration(lit: &LitStr, option: &str) -> syn::Result<Millis> {
    let text = lit.value();
    match larder_core::units::parse_duration(&text) {
        Ok(0) => Err(syn::Error::new(
            lit.span(),
            format!("{option} must be longer than zero"),
        )),
        Ok(ms) => Ok(Millis {
            ms,
            span: lit.span(),
        }),
        Err(e) => Err(syn::Error::new(
            lit.span(),
            format!("invalid {option} {text:?}: {}", e.message()),
        )),
    }
}

/// Literal tags are checked here; other expressions when the function runs.
fn check_tag(t: &Expr) -> syn::Result<()> {
    let Expr::Lit(ExprLit {
        lit: Lit::Str(s), ..
    }) = t
    else {
        return Ok(());
    };
    let v = s.value();
    if v.is_empty() || v.len() > 1024 {
        return Err(syn::Error::new(
            s.span(),
            "a tag must be 1 to 1024 bytes long",
        ));
    }
    if v.starts_with("larder:") {
        return Err(syn::Error::new(
            s.span(),
            "tags starting with \"larder:\" are reserved for larder",
        ));
    }
    Ok(())
}
