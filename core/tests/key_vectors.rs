//! The shared key vectors (`tests/vectors/keys.json`): every vector's params, read
//! through the JSON convention of docs/FORMAT.md, must give exactly the recorded key
//! bytes and hash; struct/enum/option vectors are also rebuilt from real Rust types.
//!
//! To (re)generate the expected values after an intentional format change, run with
//! `LARDER_WRITE_VECTORS=<file>`: the test then writes `{name: [bytes_hex, hash_hex]}`
//! to that file instead of checking them (the hand-written byte checks still run).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use larder_core::{Canon, Key};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

const VECTORS: &str = include_str!("../../tests/vectors/keys.json");

#[derive(serde::Deserialize)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(serde::Deserialize)]
struct Vector {
    name: String,
    namespace: String,
    version: u32,
    params: Json,
    same_as: Option<String>,
    key_bytes_hex: Option<String>,
    key_hash_hex: Option<String>,
}

/// Params read through the vector convention, keeping JSON object order.
struct Json(Canon);

/// 2^53, the largest magnitude a plain JSON integer may have in the vectors.
const SAFE: u64 = 1 << 53;

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a params value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json(Canon::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json(Canon::Bool(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        if v > SAFE {
            return Err(E::custom(format!(
                "{v} is past 2^53: use {{\"$bigint\": ..}}"
            )));
        }
        Ok(Json(Canon::Int(v.into())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        if v.unsigned_abs() > SAFE {
            return Err(E::custom(format!(
                "{v} is past 2^53: use {{\"$bigint\": ..}}"
            )));
        }
        Ok(Json(Canon::Int(v.into())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json(Canon::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json(Canon::Str(v.into())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(Json(x)) = seq.next_element()? {
            items.push(x);
        }
        Ok(Json(Canon::List(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        let mut tagged = None;
        while let Some(k) = map.next_key::<String>()? {
            let value = match k.as_str() {
                "$bytes" => Canon::Bytes(hex(&map.next_value::<String>()?)),
                "$float" => Canon::Float(float(&map.next_value::<String>()?)),
                "$bigint" => Canon::Int(
                    map.next_value::<String>()?
                        .parse()
                        .map_err(de::Error::custom)?,
                ),
                "$map" => {
                    let pairs: Vec<(Json, Json)> = map.next_value()?;
                    Canon::Map(pairs.into_iter().map(|(k, v)| (k.0, v.0)).collect())
                }
                _ => {
                    entries.push((Canon::Str(k), map.next_value::<Json>()?.0));
                    continue;
                }
            };
            tagged = Some(value);
        }
        match tagged {
            Some(v) if entries.is_empty() => Ok(Json(v)),
            Some(_) => Err(de::Error::custom("a $tag must be an object's only member")),
            None => Ok(Json(Canon::Map(entries))),
        }
    }
}

fn float(s: &str) -> f64 {
    match s {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ => s.parse().expect("a decimal float"),
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str::<File>(VECTORS)
        .expect("keys.json parses")
        .vectors
}

fn key_of(v: &Vector) -> Key {
    Key::from_canon(&v.namespace, v.version, v.params.0.clone()).expect(&v.name)
}

#[test]
fn vectors_match() {
    let vectors = vectors();
    assert!(vectors.len() >= 40, "{} vectors", vectors.len());
    let mut by_name = HashMap::new();
    let mut expected = BTreeMap::new();
    for v in &vectors {
        let key = key_of(v);
        assert!(
            by_name.insert(v.name.clone(), key.clone()).is_none(),
            "duplicate {}",
            v.name
        );
        // Whatever the model says must survive the storage round trip.
        assert_eq!(Key::from_bytes(key.bytes()).unwrap(), key, "{}", v.name);
        let bytes = to_hex(key.bytes());
        let hash = key.hash().to_hex();
        if std::env::var_os("LARDER_WRITE_VECTORS").is_none() {
            assert_eq!(
                v.key_bytes_hex.as_deref(),
                Some(bytes.as_str()),
                "bytes of {}",
                v.name
            );
            assert_eq!(
                v.key_hash_hex.as_deref(),
                Some(hash.as_str()),
                "hash of {}",
                v.name
            );
        }
        expected.insert(v.name.clone(), (bytes, hash));
    }
    for v in &vectors {
        if let Some(other) = &v.same_as {
            assert_eq!(by_name[&v.name], by_name[other], "{} vs {other}", v.name);
        }
    }
    // Distinct vectors (not declared the same) must give distinct keys.
    let mut seen = HashMap::new();
    for v in &vectors {
        let h = by_name[&v.name].hash();
        if v.same_as.is_none() {
            if let Some(prev) = seen.insert(h, v.name.clone()) {
                let same = vectors
                    .iter()
                    .any(|w| w.name == prev && w.same_as.is_some());
                assert!(same, "{} and {prev} collide", v.name);
            }
        }
    }
    if let Some(path) = std::env::var_os("LARDER_WRITE_VECTORS") {
        std::fs::write(path, serde_json::to_string_pretty(&expected).unwrap()).unwrap();
    }
}

/// Key bytes written out by hand from the spec: head, params, version, namespace.
fn spelled(params: &str, version: &str, ns: &str) -> String {
    format!(
        "0703{}{}{params}{}02{version}{}04{:02x}{}",
        "0406",
        to_hex(b"params"),
        "0407".to_owned() + &to_hex(b"version"),
        "0409".to_owned() + &to_hex(b"namespace"),
        ns.len(),
        to_hex(ns.as_bytes())
    )
}

#[test]
fn hand_checked_bytes() {
    let cases = [
        ("null", spelled("00", "00", "test")),
        ("int_minus_65", spelled("028101", "00", "test")),
        ("float_0_1", spelled("039a9999999999b93f", "00", "test")),
        ("float_nan", spelled("03000000000000f87f", "00", "test")),
        (
            "float_minus_zero_is_int_zero",
            spelled("0200", "00", "test"),
        ),
        ("bytes_00ff", spelled("050200ff", "00", "test")),
        (
            "map_order_ba",
            spelled(
                "07020401610204040162 0202".replace(' ', "").as_str(),
                "00",
                "test",
            ),
        ),
        (
            "map_keys_sort_by_encoding",
            spelled("070304016102060401630204040262620202", "00", "test"),
        ),
        ("version_u32_max", spelled("00", "feffffff1f", "test")),
        (
            "str_long_300",
            spelled(&format!("04ac02{}", "78".repeat(300)), "00", "test"),
        ),
        (
            "enum_newtype_variant",
            spelled(
                "0701040643697263 6c65 03000000000000f83f"
                    .replace(' ', "")
                    .as_str(),
                "00",
                "test",
            ),
        ),
    ];
    let vectors = vectors();
    for (name, want) in cases {
        let v = vectors.iter().find(|v| v.name == name).expect(name);
        assert_eq!(to_hex(key_of(v).bytes()), want, "{name}");
    }
    // A literal, fully spelled out once.
    let k = Key::new("ns", &()).unwrap();
    assert_eq!(
        k.bytes(),
        b"\x07\x03\x04\x06params\x00\x04\x07version\x02\x00\x04\x09namespace\x04\x02ns"
    );
}

struct Raw<'a>(&'a [u8]);
impl Serialize for Raw<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

#[derive(Serialize)]
struct Unit;
#[derive(Serialize)]
struct Meters(u32);
#[derive(Serialize)]
enum Shape {
    Red,
    Circle(f64),
    Point(i32, i32),
    Rect { w: u32, h: u32 },
}
#[derive(Serialize)]
struct Person {
    name: &'static str,
    age: u32,
    tags: Vec<&'static str>,
    score: f32,
}
#[derive(Serialize)]
struct Skips {
    a: u8,
    #[serde(skip)]
    #[allow(dead_code)]
    b: u8,
    c: Option<String>,
}

#[test]
fn rust_types_match_vectors() {
    let k = |p: &dyn erased::Param| p.key("test", 0);
    let mut order = BTreeMap::new();
    order.insert("b", 1);
    order.insert("a", 2);
    let cases: Vec<(&str, Key)> = vec![
        ("null", k(&())),
        ("true", k(&true)),
        ("int_minus_65", k(&-65i8)),
        ("float_one_is_int", k(&1.0f32)),
        ("float_minus_zero_is_int_zero", k(&-0.0f64)),
        ("float_0_1", k(&0.1f64)),
        ("float_f32_0_1", k(&0.1f32)),
        ("float_nan", k(&f64::NAN)),
        ("float_minus_inf", k(&f64::NEG_INFINITY)),
        ("int_2pow53_plus_1", k(&9_007_199_254_740_993u64)),
        (
            "float_2pow53_plus_2_stays_float",
            k(&9_007_199_254_740_994.0f64),
        ),
        ("int_u64_max", k(&u64::MAX)),
        ("int_i64_min", k(&i64::MIN)),
        ("int_i128_max", k(&i128::MAX)),
        ("int_i128_min", k(&i128::MIN)),
        ("str_precomposed_e_acute", k(&'é')),
        ("str_emoji", k(&"🦀👩‍💻")),
        ("str_nul_inside", k(&"a\0b")),
        ("bytes_00ff", k(&Raw(&[0, 255]))),
        ("list_empty", k(&Vec::<u8>::new())),
        ("map_empty", k(&HashMap::<String, u8>::new())),
        ("map_order_ba", k(&order)),
        ("option_none", k(&None::<u32>)),
        ("option_some", k(&Some(5u32))),
        ("unit_struct", k(&Unit)),
        ("newtype_struct", k(&Meters(3))),
        ("tuple", k(&(1u8, "a"))),
        ("enum_unit_variant", k(&Shape::Red)),
        ("enum_newtype_variant", k(&Shape::Circle(1.5))),
        ("enum_tuple_variant", k(&Shape::Point(1, 2))),
        ("enum_struct_variant", k(&Shape::Rect { w: 2, h: 3 })),
        (
            "struct",
            k(&Person {
                name: "x",
                age: 30,
                tags: vec!["a", "b"],
                score: 0.25,
            }),
        ),
        (
            "struct_skipped_and_none",
            k(&Skips {
                a: 1,
                b: 9,
                c: None,
            }),
        ),
        (
            "version_u32_max",
            Key::with_version("test", u32::MAX, &()).unwrap(),
        ),
        (
            "namespace_unicode_version_7",
            Key::with_version("名前空間/v\u{301}", 7, &HashMap::from([("q", "k")])).unwrap(),
        ),
    ];
    let vectors = vectors();
    for (name, key) in cases {
        let v = vectors.iter().find(|v| v.name == name).expect(name);
        assert_eq!(key, key_of(v), "{name}");
    }
}

/// Object-safe wrapper so the table above can hold differently typed params.
mod erased {
    use larder_core::Key;
    pub trait Param {
        fn key(&self, ns: &str, version: u32) -> Key;
    }
    impl<T: serde::Serialize> Param for T {
        fn key(&self, ns: &str, version: u32) -> Key {
            Key::with_version(ns, version, self).expect("key")
        }
    }
}
