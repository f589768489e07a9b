//! The `meta` record: a plain JS object, so that other code (devtools, the JS
//! bindings) can read it, and so that listing never deserializes payloads.
//!
//! ```text
//! { size: number, created: number, expires: number | null, lastAccess: number,
//!   namespace: string, tags: string[], cost: number }
//! ```
//! Times are ms since the Unix epoch, `cost` µs; every number is a
//! non-negative integer at most 2^53 (exact in a JS number).

use js_sys::{Array, Object, Reflect};
use larder_core::{EntryMeta, KeyHash};
use wasm_bindgen::{JsCast, JsValue};

/// Largest integer a JS number holds exactly.
const MAX_SAFE: u64 = (1 << 53) - 1;

const LAST_ACCESS: &str = "lastAccess";

/// The record's field names, as JS strings made once: building or reading a
/// record then passes no text between wasm and JS but the namespace and tags.
struct Fields {
    size: JsValue,
    created: JsValue,
    expires: JsValue,
    last_access: JsValue,
    namespace: JsValue,
    tags: JsValue,
    cost: JsValue,
}

thread_local! {
    static FIELDS: Fields = Fields {
        size: "size".into(),
        created: "created".into(),
        expires: "expires".into(),
        last_access: LAST_ACCESS.into(),
        namespace: "namespace".into(),
        tags: "tags".into(),
        cost: "cost".into(),
    };
}

fn num(v: u64) -> JsValue {
    JsValue::from_f64(clamped(v))
}

/// `v` as a JS number. Clamped rather than losing precision silently: no real
/// time or size is near 2^53.
pub(crate) fn clamped(v: u64) -> f64 {
    v.min(MAX_SAFE) as f64
}

fn set(obj: &Object, field: &JsValue, v: &JsValue) {
    // Setting a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, field, v);
}

/// The record for `meta`.
pub(crate) fn to_js(m: &EntryMeta) -> JsValue {
    to_js_in(m, &JsValue::from_str(&m.namespace))
}

/// The record for `meta`, whose namespace is already the JS string `namespace`
/// (a batch converts each namespace once).
pub(crate) fn to_js_in(m: &EntryMeta, namespace: &JsValue) -> JsValue {
    let obj = Object::new();
    FIELDS.with(|f| {
        set(&obj, &f.size, &num(m.size));
        set(&obj, &f.created, &num(m.created_ms));
        set(&obj, &f.expires, &m.expires_ms.map_or(JsValue::NULL, num));
        set(&obj, &f.last_access, &num(m.last_access_ms));
        set(&obj, &f.namespace, namespace);
        let tags: Array = m.tags.iter().map(|t| JsValue::from_str(t)).collect();
        set(&obj, &f.tags, &tags);
        set(&obj, &f.cost, &num(m.cost_us));
    });
    obj.into()
}

fn get(obj: &JsValue, field: &JsValue) -> Option<JsValue> {
    Reflect::get(obj, field).ok()
}

/// A non-negative integer within 2^53.
pub(crate) fn as_u64(v: &JsValue) -> Option<u64> {
    let f = v.as_f64()?;
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= MAX_SAFE as f64).then_some(f as u64)
}

fn field_u64(obj: &JsValue, field: &JsValue) -> Option<u64> {
    as_u64(&get(obj, field)?)
}

/// Parse a record read from `meta` under the primary key `key`; `None` when
/// anything about it is malformed.
pub(crate) fn from_js(key: KeyHash, v: &JsValue) -> Option<EntryMeta> {
    if !v.is_object() || v.is_null() || Array::is_array(v) {
        return None;
    }
    FIELDS.with(|f| {
        let expires = get(v, &f.expires)?;
        let expires_ms = if expires.is_null() || expires.is_undefined() {
            None
        } else {
            Some(as_u64(&expires)?)
        };
        let tags_js = get(v, &f.tags)?;
        let tags_arr: &Array = tags_js.dyn_ref()?;
        let tags = tags_arr
            .iter()
            .map(|t| t.as_string())
            .collect::<Option<Vec<String>>>()?;
        Some(EntryMeta {
            key,
            size: field_u64(v, &f.size)?,
            created_ms: field_u64(v, &f.created)?,
            expires_ms,
            last_access_ms: field_u64(v, &f.last_access)?,
            namespace: get(v, &f.namespace)?.as_string()?,
            tags,
            cost_us: field_u64(v, &f.cost)?,
        })
    })
}

/// `record` (a valid record) with `lastAccess` moved to `at`, in place.
pub(crate) fn set_last_access(record: &JsValue, at: u64) -> bool {
    FIELDS.with(|f| Reflect::set(record, &f.last_access, &num(at)).unwrap_or(false))
}
