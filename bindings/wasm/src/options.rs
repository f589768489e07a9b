//! Options objects: `Cache.open`'s, `set`'s and `getOrCompute`'s, `entries`'
//! filter. Unknown keys, wrong types and out-of-range values are `TypeError`s
//! and `RangeError`s naming the option, before anything is opened or written.

use js_sys::{Array, Object, Reflect};
use larder_core::frame::codec;
use larder_core::units::{parse_duration, parse_size};
use larder_core::{PutOptions, Quoted};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::js::{Kind, classify, core_error, number_text, range_error, type_error};
use crate::{js, params, value, walk};

/// A string argument or option (a name); `what` names it in the TypeError,
/// which a lone surrogate gets too (see walk.rs `name`). `what` is only
/// formatted for an error.
pub(crate) fn string_value(v: &JsValue, what: std::fmt::Arguments<'_>) -> Result<String, JsValue> {
    match walk::name(v) {
        Some(Ok(s)) => Ok(s),
        Some(Err(())) => Err(js::lone_surrogate(what)),
        None => Err(type_error(&format!(
            "{what} must be a string, not {}",
            params::describe(v)
        ))),
    }
}

pub(crate) const OPEN_OPTIONS: &[&str] = &[
    "backend",
    "name",
    "dir",
    "maxBytes",
    "maxEntries",
    "ttl",
    "memoryBytes",
];

/// An options object: `undefined`/`null` or a plain object with known keys.
pub(crate) struct Options {
    obj: Option<Object>,
    what: &'static str,
}

impl Options {
    pub(crate) fn read(
        v: &JsValue,
        what: &'static str,
        known: &[&str],
    ) -> Result<Options, JsValue> {
        match classify(v) {
            Kind::Undefined | Kind::Null => Ok(Options { obj: None, what }),
            Kind::Plain => {
                let obj: Object = v.clone().unchecked_into();
                for k in Object::keys(&obj).iter() {
                    let k = k.as_string().unwrap_or_default();
                    if !known.contains(&k.as_str()) {
                        // A loop, not `known.join(", ")`: std's join is a
                        // kilobyte of wasm for this one message.
                        let mut msg = format!("{what}: unknown option {} (known: ", Quoted(&k));
                        for (i, name) in known.iter().enumerate() {
                            if i > 0 {
                                msg.push_str(", ");
                            }
                            msg.push_str(name);
                        }
                        msg.push(')');
                        return Err(type_error(&msg));
                    }
                }
                Ok(Options {
                    obj: Some(obj),
                    what,
                })
            }
            _ => Err(type_error(&format!(
                "{what} must be an object, not {}",
                params::describe(v)
            ))),
        }
    }

    /// The option's value; `undefined` is absent.
    pub(crate) fn get(&self, name: &str) -> Result<Option<JsValue>, JsValue> {
        let Some(obj) = &self.obj else {
            return Ok(None);
        };
        let v = Reflect::get(obj, &name.into())?;
        Ok((!v.is_undefined()).then_some(v))
    }

    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, JsValue> {
        self.get(name)?
            .map(|v| string_value(&v, format_args!("{}: {name}", self.what)))
            .transpose()
    }

    /// A string option that must not be empty.
    pub(crate) fn non_empty_string(&self, name: &str) -> Result<Option<String>, JsValue> {
        let Some(v) = self.get(name)? else {
            return Ok(None);
        };
        match walk::name(&v) {
            Some(Ok(s)) if !s.is_empty() => Ok(Some(s)),
            Some(Err(())) => Err(js::lone_surrogate(format_args!("{}: {name}", self.what))),
            s => Err(type_error(&format!(
                "{}: {name} must be a non-empty string, not {}",
                self.what,
                if s.is_some() {
                    "an empty string".into()
                } else {
                    params::describe(&v)
                }
            ))),
        }
    }

    /// A byte size (or count): a positive integer, or a string like "100MB".
    pub(crate) fn size(&self, name: &str, zero_ok: bool) -> Result<Option<u64>, JsValue> {
        let Some(v) = self.get(name)? else {
            return Ok(None);
        };
        let what = self.what;
        let n = if let Some(s) = v.as_string() {
            parse_size(&s).map_err(|e| range_error(&format!("{what}: {name}: {}", e.message())))?
        } else if let Some(x) = v.as_f64() {
            if !(x.is_finite() && x.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&x))
            {
                return Err(range_error(&format!(
                    "{what}: {name} must be a non-negative integer, not {}",
                    number_text(x)
                )));
            }
            x as u64
        } else {
            return Err(type_error(&format!(
                "{what}: {name} must be a number or a string like \"100MB\", not {}",
                params::describe(&v)
            )));
        };
        if n == 0 && !zero_ok {
            return Err(range_error(&format!(
                "{what}: {name} must be greater than zero"
            )));
        }
        Ok(Some(n))
    }

    /// A duration (`ttl`, `staleWhileRevalidate`): positive milliseconds, or
    /// a string like "1h".
    pub(crate) fn ttl(&self, name: &str) -> Result<Option<u64>, JsValue> {
        let Some(v) = self.get(name)? else {
            return Ok(None);
        };
        let what = self.what;
        let ms = if let Some(s) = v.as_string() {
            parse_duration(&s)
                .map_err(|e| range_error(&format!("{what}: {name}: {}", e.message())))?
        } else if let Some(x) = v.as_f64() {
            if !(x.is_finite() && x > 0.0) {
                return Err(range_error(&format!(
                    "{what}: {name} must be a positive number of milliseconds, not {}",
                    number_text(x)
                )));
            }
            // Fractions of a millisecond round up, so a duration is never 0.
            x.ceil().min(u64::MAX as f64) as u64
        } else {
            return Err(type_error(&format!(
                "{what}: {name} must be a number of milliseconds or a string like \"1h\", not {}",
                params::describe(&v)
            )));
        };
        if ms == 0 {
            return Err(range_error(&format!(
                "{what}: {name} must be greater than zero"
            )));
        }
        Ok(Some(ms))
    }
}

/// `{ ttl, tags, meta, raw, staleWhileRevalidate, dependsOn }` for set and
/// getOrCompute. `raw: true` stores a
/// Uint8Array value as raw bytes (codec 0, what Rust's `put_bytes` writes)
/// instead of codec 2.
pub(crate) fn put_options(v: &JsValue, what: &'static str) -> Result<PutOptions, JsValue> {
    let opts = Options::read(
        v,
        what,
        &[
            "ttl",
            "tags",
            "meta",
            "raw",
            "staleWhileRevalidate",
            "dependsOn",
        ],
    )?;
    let raw = match opts.get("raw")? {
        None => false,
        Some(r) => r.as_bool().ok_or_else(|| {
            type_error(&format!(
                "{what}: raw must be a boolean, not {}",
                params::describe(&r)
            ))
        })?,
    };
    let mut out = PutOptions::new().codec(if raw { codec::BYTES } else { codec::JS });
    out.ttl_ms = opts.ttl("ttl")?;
    out.stale_ms = opts.ttl("staleWhileRevalidate")?;
    if let Some(tags) = opts.get("tags")? {
        if !Array::is_array(&tags) {
            return Err(type_error(&format!(
                "{what}: tags must be an array of strings, not {}",
                params::describe(&tags)
            )));
        }
        for (i, t) in Array::from(&tags).iter().enumerate() {
            out.tags
                .push(string_value(&t, format_args!("{what}: tags[{i}]"))?);
        }
    }
    if let Some(deps) = opts.get("dependsOn")? {
        out.depends_on = depends_on(&deps, what)?;
    }
    if let Some(meta) = opts.get("meta")? {
        out.meta = value::encode(&meta, "meta")?;
    }
    larder_core::frame::validate(&out.tags, &out.meta).map_err(|e| core_error(&e))?;
    Ok(out)
}

/// `dependsOn`: `[namespace, params]` pairs naming the entries this one is
/// computed from; removing or invalidating any of them removes it too.
fn depends_on(deps: &JsValue, what: &str) -> Result<Vec<larder_core::KeyHash>, JsValue> {
    let pairs = deps.dyn_ref::<Array>().ok_or_else(|| {
        type_error(&format!(
            "{what}: dependsOn must be an array of [namespace, params] pairs, not {}",
            params::describe(deps)
        ))
    })?;
    let mut out = Vec::with_capacity(pairs.length() as usize);
    for (i, d) in pairs.iter().enumerate() {
        let Some(pair) = d.dyn_ref::<Array>().filter(|a| a.length() == 2) else {
            return Err(type_error(&format!(
                "{what}: dependsOn[{i}] must be a [namespace, params] pair, not {}",
                params::describe(&d)
            )));
        };
        let root = format!("{what}: dependsOn[{i}][1]");
        let key = params::key_at(&pair.get(0), &pair.get(1), root.clone()).inspect_err(|e| {
            // Namespace (and whole-key) errors do not say where: add it.
            let msg = Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string());
            if let Some(m) = msg.filter(|m| !m.starts_with(&root)) {
                let _ = Reflect::set(
                    e,
                    &"message".into(),
                    &format!("{what}: dependsOn[{i}]: {m}").into(),
                );
            }
        })?;
        out.push(key.hash());
    }
    Ok(out)
}
