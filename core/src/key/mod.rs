//! Canonical keys: one contract for every language.
//!
//! Parameters are mapped onto one small data model, [`Canon`], normalized so that
//! Rust and JavaScript agree (integral floats within ±2^53 are integers, NaN has one
//! encoding, map entries are sorted by the encoding of their keys), and encoded with
//! postcard. A [`Key`] is the encoding of `{namespace, params, version}` and its
//! xxh3-128 [`KeyHash`]. `docs/FORMAT.md` ("Keys") fixes the bytes; the shared
//! vectors in `tests/vectors/keys.json` check every implementation against it.
//!
//! Files: `ser.rs` maps serde values onto the model, `encode.rs` writes canonical
//! bytes, `decode.rs` reads them back strictly, `canon.rs` holds [`Canon`]'s methods.

mod canon;
mod decode;
mod encode;
mod hash;
mod ser;

pub use hash::KeyHash;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, ErrorKind, Result};
use crate::num_text::IntText;
use decode::Decoder;
use encode::{Encoder, TAG_STR, put_varint};

/// Deepest nesting of lists and maps a key may contain (the key's own outer map
/// counts as one level, so params get `MAX_DEPTH - 1`). Bounds the stack on both
/// encode and decode.
pub const MAX_DEPTH: usize = 128;

/// Longest namespace, in UTF-8 bytes. Namespaces must also be non-empty.
pub const MAX_NAMESPACE_LEN: usize = 1024;

/// Longest encoded key, in bytes.
pub const MAX_KEY_LEN: usize = 64 * 1024;

/// The canonical data model every parameter maps to.
///
/// Build one by hand, or from any `T: Serialize` with [`Canon::from_serialize`].
/// Values built by hand need not be normalized: [`Canon::encode`] and
/// [`Key::from_canon`] normalize them, [`Canon::normalize`] returns the normal form.
/// `PartialEq` is structural (so `Float(NaN) != Float(NaN)`); compare encodings to
/// compare values under the key rules.
///
/// ```
/// use larder_core::Canon;
/// let c = Canon::List(vec![Canon::Null, Canon::Str("hi".into()), Canon::Float(1.0)]);
/// assert_eq!(c.to_string(), r#"[null, "hi", 1.0]"#);
/// assert_eq!(c.normalize().unwrap().to_string(), r#"[null, "hi", 1]"#);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Canon {
    /// null / None / unit
    Null,
    /// bool
    Bool(bool),
    /// any integer, and floats with an integral value within ±2^53
    Int(i128),
    /// other floats; NaN has one encoding
    Float(f64),
    /// UTF-8 string
    Str(String),
    /// raw bytes
    Bytes(Vec<u8>),
    /// sequence
    List(Vec<Canon>),
    /// map, entries sorted by the canonical encoding of the key
    Map(Vec<(Canon, Canon)>),
}

/// A cache key: namespace, version and canonical params, hashed.
///
/// ```
/// use larder_core::Key;
/// let a = Key::new("thumbnails", &("cat.png", 128)).unwrap();
/// let b = Key::new("thumbnails", &("cat.png", 128.0)).unwrap();
/// assert_eq!(a, b); // 128.0 is the integer 128
/// assert_eq!(Key::from_bytes(a.bytes()).unwrap(), a);
/// assert_eq!(a.params().unwrap().to_string(), r#"["cat.png", 128]"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    hash: KeyHash,
    bytes: Vec<u8>,
    namespace: String,
    version: u32,
}

/// Start of every key: a 3-entry map, then the key `"params"`. The entries are in
/// canonical order because `"params"` (`04 06 ..`) < `"version"` (`04 07 ..`) <
/// `"namespace"` (`04 09 ..`) bytewise.
const KEY_HEAD: &[u8] = b"\x07\x03\x04\x06params";
/// Between params and the version's zigzag varint: the key `"version"` and the Int tag.
const KEY_VERSION: &[u8] = b"\x04\x07version\x02";
/// Before the namespace string: the key `"namespace"`.
const KEY_NAMESPACE: &[u8] = b"\x04\x09namespace";

/// Whether canonical key bytes `key` end with `namespace` as their namespace
/// field (the last of a key's three), without decoding the rest: how a frame's
/// header shows that its namespace field is its key's. Bytes that end so but
/// are not canonical never match a lookup, which compares whole keys.
pub(crate) fn ends_with_namespace(key: &[u8], namespace: &str) -> bool {
    let ns = namespace.as_bytes();
    let mut len = Vec::with_capacity(3);
    put_varint(&mut len, ns.len() as u128);
    let tail = KEY_NAMESPACE.len() + 1 + len.len() + ns.len();
    let Some(at) = key.len().checked_sub(tail) else {
        return false;
    };
    let (field, rest) = key[at..].split_at(KEY_NAMESPACE.len());
    field == KEY_NAMESPACE
        && rest[0] == TAG_STR
        && rest[1..1 + len.len()] == len[..]
        && &rest[1 + len.len()..] == ns
}

impl Key {
    /// Key of `params` in `namespace`, version 0.
    ///
    /// ```
    /// use larder_core::Key;
    /// let k = Key::new("users", &42u64).unwrap();
    /// assert_eq!(k.namespace(), "users");
    /// assert_eq!(k.version(), 0);
    /// ```
    pub fn new<P: serde::Serialize + ?Sized>(namespace: &str, params: &P) -> Result<Key> {
        Key::with_version(namespace, 0, params)
    }

    /// Key of `params` in `namespace` at `version`. Bumping the version invalidates
    /// every entry of the namespace without touching them.
    ///
    /// Fails with [`ErrorKind::InvalidInput`] if the namespace is empty or longer than
    /// [`MAX_NAMESPACE_LEN`], if `params` fails to serialize, has duplicate map keys,
    /// nests too deeply or holds an integer above `i128::MAX`; with
    /// [`ErrorKind::TooLarge`] if the key is longer than [`MAX_KEY_LEN`].
    ///
    /// ```
    /// use larder_core::{ErrorKind, Key};
    /// let v1 = Key::with_version("report", 1, &["q3"]).unwrap();
    /// let v2 = Key::with_version("report", 2, &["q3"]).unwrap();
    /// assert_ne!(v1.hash(), v2.hash());
    /// assert_eq!(Key::new("", &1).unwrap_err().kind(), ErrorKind::InvalidInput);
    /// ```
    pub fn with_version<P: serde::Serialize + ?Sized>(
        namespace: &str,
        version: u32,
        params: &P,
    ) -> Result<Key> {
        check_namespace(namespace, ErrorKind::InvalidInput, "build key")?;
        Key::build(namespace, version, |enc| ser::write(enc, params, 1))
    }

    /// Key of params already in the model (normalized here).
    ///
    /// ```
    /// use larder_core::{Canon, Key};
    /// let a = Key::from_canon("ns", 0, Canon::Map(vec![
    ///     (Canon::Str("x".into()), Canon::Int(1)),
    ///     (Canon::Str("y".into()), Canon::Float(2.0)),
    /// ])).unwrap();
    /// let b = Key::from_canon("ns", 0, Canon::Map(vec![
    ///     (Canon::Str("y".into()), Canon::Int(2)),
    ///     (Canon::Str("x".into()), Canon::Int(1)),
    /// ])).unwrap();
    /// assert_eq!(a, b);
    /// ```
    pub fn from_canon(namespace: &str, version: u32, params: Canon) -> Result<Key> {
        check_namespace(namespace, ErrorKind::InvalidInput, "build key")?;
        Key::build(namespace, version, |enc| enc.value(&params, 1))
    }

    /// Encode a key whose params `write` appends (at level 1, inside the key map).
    fn build(
        namespace: &str,
        version: u32,
        write: impl FnOnce(&mut Encoder) -> Result<()>,
    ) -> Result<Key> {
        // Room for typical params, so most keys are written without reallocating.
        let mut out = Vec::with_capacity(192 + namespace.len());
        out.extend_from_slice(KEY_HEAD);
        let mut enc = Encoder::new(out, "build key");
        write(&mut enc)?;
        enc.raw(KEY_VERSION);
        let mut out = enc.into_bytes();
        put_varint(&mut out, u128::from(version) << 1);
        out.extend_from_slice(KEY_NAMESPACE);
        out.push(TAG_STR);
        put_varint(&mut out, namespace.len() as u128);
        out.extend_from_slice(namespace.as_bytes());
        if out.len() > MAX_KEY_LEN {
            return Err(Error::new(
                ErrorKind::TooLarge,
                "build key",
                format!(
                    "the key encodes to {} bytes, more than {MAX_KEY_LEN}",
                    out.len()
                ),
            )
            .with_context(String::from(namespace)));
        }
        Ok(Key {
            hash: KeyHash::of(&out),
            bytes: out,
            namespace: namespace.into(),
            version,
        })
    }

    /// The hash stores index by.
    ///
    /// ```
    /// use larder_core::{Key, KeyHash};
    /// let k = Key::new("ns", &1).unwrap();
    /// assert_eq!(k.hash(), KeyHash::of(k.bytes()));
    /// ```
    pub fn hash(&self) -> KeyHash {
        self.hash
    }

    /// The canonical bytes (`{namespace, params, version}` encoded).
    ///
    /// ```
    /// use larder_core::Key;
    /// let k = Key::new("ns", &()).unwrap();
    /// assert_eq!(k.bytes(), b"\x07\x03\x04\x06params\x00\x04\x07version\x02\x00\x04\x09namespace\x04\x02ns");
    /// ```
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The namespace.
    ///
    /// ```
    /// use larder_core::Key;
    /// assert_eq!(Key::new("thumbs", &1).unwrap().namespace(), "thumbs");
    /// ```
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The version.
    ///
    /// ```
    /// use larder_core::Key;
    /// assert_eq!(Key::with_version("thumbs", 3, &1).unwrap().version(), 3);
    /// ```
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Rebuild a key from canonical bytes read from storage, validating them: they
    /// must decode to exactly `{params, version: u32, namespace: valid}` in canonical
    /// form and re-encode to the same bytes. Anything else is
    /// [`ErrorKind::Corrupt`]. Never panics.
    ///
    /// ```
    /// use larder_core::{ErrorKind, Key};
    /// let k = Key::new("ns", &[1, 2, 3]).unwrap();
    /// assert_eq!(Key::from_bytes(k.bytes()).unwrap(), k);
    /// let mut bad = k.bytes().to_vec();
    /// bad.push(0);
    /// assert_eq!(Key::from_bytes(&bad).unwrap_err().kind(), ErrorKind::Corrupt);
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Key> {
        const OP: &str = "decode key";
        if bytes.len() > MAX_KEY_LEN {
            return Err(Error::corrupt(
                OP,
                format!("key is longer than {MAX_KEY_LEN} bytes"),
            ));
        }
        let mut d = Decoder::new(bytes, OP);
        let canon = d.value(0)?;
        d.finish()?;
        let shape = || Error::corrupt(OP, "not a {params, version, namespace} map");
        let Canon::Map(entries) = canon else {
            return Err(shape());
        };
        let mut it = entries.into_iter();
        let (Some(p), Some(v), Some(n), None) = (it.next(), it.next(), it.next(), it.next()) else {
            return Err(shape());
        };
        let (params, version, namespace) = match (p, v, n) {
            (
                (Canon::Str(pk), params),
                (Canon::Str(vk), Canon::Int(v)),
                (Canon::Str(nk), Canon::Str(n)),
            ) if pk == "params" && vk == "version" && nk == "namespace" => (params, v, n),
            _ => return Err(shape()),
        };
        let version = u32::try_from(version).map_err(|_| {
            Error::corrupt(OP, format!("version {} is not a u32", IntText(version)))
        })?;
        check_namespace(&namespace, ErrorKind::Corrupt, OP)?;
        let key = Key::build(&namespace, version, |enc| enc.value(&params, 1))
            .map_err(|e| Error::corrupt(OP, format!("does not re-encode: {}", e.message())))?;
        if key.bytes != bytes {
            return Err(Error::corrupt(OP, "not in canonical form"));
        }
        Ok(key)
    }

    /// The params decoded back into the model (for display).
    ///
    /// ```
    /// use larder_core::{Canon, Key};
    /// let k = Key::new("ns", &("a", 1.5)).unwrap();
    /// assert_eq!(k.params().unwrap(), Canon::List(vec![Canon::Str("a".into()), Canon::Float(1.5)]));
    /// ```
    pub fn params(&self) -> Result<Canon> {
        let rest = self.bytes.get(KEY_HEAD.len()..).unwrap_or_default();
        Decoder::new(rest, "decode key params").value(1)
    }
}

fn check_namespace(namespace: &str, kind: ErrorKind, op: &'static str) -> Result<()> {
    if namespace.is_empty() {
        return Err(Error::new(kind, op, "the namespace is empty"));
    }
    if namespace.len() > MAX_NAMESPACE_LEN {
        return Err(Error::new(
            kind,
            op,
            format!(
                "the namespace is {} bytes long, more than {MAX_NAMESPACE_LEN}",
                namespace.len()
            ),
        ));
    }
    Ok(())
}
