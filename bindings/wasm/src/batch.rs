//! `getMany` and `setMany`: many keys in one call, which the IndexedDB
//! backend serves with one transaction (a getMany's parts, all asked for in
//! one task, join it); and the value codec on its own.

use js_sys::{Array, Uint8Array};
use larder_core::{Key, PutOptions, join_all};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::js::type_error;
use crate::options::put_options;
use crate::walk::Root;
use crate::{Cache, CoreCache, OrJs, decode_entry, encode_value, params, value};

/// A getMany reads its keys in parts of this many, all asked for at once:
/// each part's values are checked and decoded as soon as its reads are done,
/// while IndexedDB is still reading the next parts, instead of all of them
/// after the last read. 1000 gets in Chromium took 3–7% less so (bench/ab.mjs
/// batch, against the A/A spread of 2%); parts of 50 or 250 did worse
/// (docs/BENCHMARKS.md).
const READ_PART: usize = 100;

/// `v` as an array, if it is one (of any realm).
fn array(v: &JsValue) -> Option<Array> {
    Array::is_array(v).then(|| v.clone().unchecked_into())
}

/// Each item of an array argument, or a `TypeError` naming `what`.
fn items(list: &JsValue, what: &str) -> Result<Array, JsValue> {
    array(list).ok_or_else(|| {
        type_error(&format!(
            "{what} must be an array, not {}",
            params::describe(list)
        ))
    })
}

#[wasm_bindgen]
impl Cache {
    /// The values stored for each params of `paramsList` under `namespace`,
    /// in order; `undefined` where there is none.
    #[wasm_bindgen(js_name = getMany)]
    pub fn get_many(&self, namespace: JsValue, params_list: JsValue) -> js_sys::Promise {
        self.call(
            || {
                let list = items(&params_list, "getMany: the params list")?;
                list.iter()
                    .enumerate()
                    .map(|(i, p)| {
                        params::key_at(
                            &namespace,
                            &p,
                            Root::Item {
                                list: "getMany: paramsList",
                                index: i,
                                tail: "",
                            },
                        )
                    })
                    .collect::<Result<Vec<Key>, JsValue>>()
            },
            |c, keys| async move {
                let out = Array::new_with_length(keys.len() as u32);
                let parts = keys.chunks(READ_PART).enumerate().map(|(n, part)| {
                    let (c, out) = (&c, &out);
                    async move {
                        let found = c.get_many(part).await.js()?;
                        for (i, e) in found.iter().enumerate() {
                            if let Some(e) = e {
                                out.set((n * READ_PART + i) as u32, decode_entry(e)?);
                            }
                        }
                        Ok::<(), JsValue>(())
                    }
                });
                for r in join_all(parts).await {
                    r?;
                }
                Ok(out.into())
            },
        )
    }

    /// Store each `[params, value]` pair of `entries` under `namespace` with
    /// the same options `{ ttl, tags, meta, raw }`, all in one write. One bad
    /// pair rejects the call and writes nothing. The pairs are checked and
    /// encoded as the store writes the ones before (IndexedDB writes a batch
    /// in parts in one transaction, aborted by a bad pair), all within the
    /// call, before it first waits.
    #[wasm_bindgen(js_name = setMany)]
    pub fn set_many(
        &self,
        namespace: JsValue,
        entries: JsValue,
        options: JsValue,
    ) -> js_sys::Promise {
        self.call(
            || {
                let opts = put_options(&options, "setMany options")?;
                Ok((items(&entries, "setMany: the entries")?, opts))
            },
            |c, (list, opts)| async move {
                // A bad pair's TypeError is the call's, not the core's error
                // that stops the batch.
                let bad = std::cell::Cell::new(None);
                let mut pairs = list.iter().enumerate();
                let next = || {
                    let (i, pair) = pairs.next()?;
                    Some(pair_entry(&namespace, i, &pair, opts.codec).map_err(|e| {
                        // The first bad pair's (the batch stops there).
                        bad.set(bad.take().or(Some(e)));
                        larder_core::Error::invalid("setMany", "a bad pair")
                    }))
                };
                let written = put_pairs(&c, next, &opts).await;
                match bad.take() {
                    Some(e) => Err(e),
                    None => written.js().map(|()| JsValue::UNDEFINED),
                }
            },
        )
    }
}

/// [`larder_core::Cache::put_many_from`] for a setMany's pairs.
#[cfg(target_arch = "wasm32")]
async fn put_pairs(
    c: &CoreCache,
    next: impl FnMut() -> Option<larder_core::Result<(Key, Vec<u8>)>>,
    opts: &PutOptions,
) -> larder_core::Result<()> {
    c.put_many_from(next, opts).await
}

/// Natively (the memory backend, for checks) JS values cannot be held where
/// the core asks for `Send`: the pairs are made first.
#[cfg(not(target_arch = "wasm32"))]
async fn put_pairs(
    c: &CoreCache,
    next: impl FnMut() -> Option<larder_core::Result<(Key, Vec<u8>)>>,
    opts: &PutOptions,
) -> larder_core::Result<()> {
    let made = std::iter::from_fn(next).collect::<larder_core::Result<Vec<_>>>()?;
    c.put_many(made, opts).await
}

/// The key and encoded value of `entries[i]` of a setMany, `pair`.
fn pair_entry(
    namespace: &JsValue,
    i: usize,
    pair: &JsValue,
    codec: u8,
) -> Result<(Key, Vec<u8>), JsValue> {
    let pair = array(pair).filter(|p| p.length() == 2).ok_or_else(|| {
        type_error(&format!(
            "setMany: entries[{i}] must be a [params, value] pair, not {}",
            params::describe(pair)
        ))
    })?;
    let item = |tail| Root::Item {
        list: "setMany: entries",
        index: i,
        tail,
    };
    let key = params::key_at(namespace, &pair.get(0), item("[0]"))?;
    Ok((key, encode_value(&pair.get(1), codec, item("[1]"))?))
}

/// The bytes larder stores for `value` (codec 2, docs/FORMAT.md "JS values"):
/// what `set` writes, without a cache.
#[wasm_bindgen(js_name = encodeValue)]
pub fn encode_value_js(value: JsValue) -> Result<Uint8Array, JsValue> {
    Ok(Uint8Array::from(value::encode(&value, "value")?.as_slice()))
}

/// The value `bytes` (from [`encode_value_js`]) stand for: a fresh copy.
#[wasm_bindgen(js_name = decodeValue)]
pub fn decode_value_js(bytes: JsValue) -> Result<JsValue, JsValue> {
    let Some(bytes) = bytes.dyn_ref::<Uint8Array>() else {
        return Err(type_error(&format!(
            "decodeValue: bytes must be a Uint8Array, not {}",
            params::describe(&bytes)
        )));
    };
    value::decode(&bytes.to_vec())
}
