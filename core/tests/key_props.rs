//! Properties of canonical keys.

use std::collections::BTreeMap;

use larder_core::{Canon, Key, KeyHash};
use proptest::prelude::*;

fn leaf() -> impl Strategy<Value = Canon> {
    prop_oneof![
        Just(Canon::Null),
        any::<bool>().prop_map(Canon::Bool),
        (-300i128..300).prop_map(Canon::Int),
        any::<i128>().prop_map(Canon::Int),
        any::<f64>().prop_map(Canon::Float),
        (-(1i64 << 54)..(1i64 << 54)).prop_map(|i| Canon::Float(i as f64)),
        prop_oneof![Just(f64::NAN), Just(-0.0), Just(f64::INFINITY), Just(0.5)]
            .prop_map(Canon::Float),
        "\\PC{0,6}".prop_map(Canon::Str),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(Canon::Bytes),
    ]
}

fn canon() -> impl Strategy<Value = Canon> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Canon::List),
            proptest::collection::vec((leaf(), inner), 0..5).prop_map(Canon::Map),
        ]
    })
}

/// Structural equality where NaN equals NaN (the model has one NaN).
fn same(a: &Canon, b: &Canon) -> bool {
    match (a, b) {
        (Canon::Float(x), Canon::Float(y)) => x.to_bits() == y.to_bits(),
        (Canon::List(x), Canon::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Canon::Map(x), Canon::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn param_order_never_matters(
        entries in proptest::collection::btree_map("\\PC{0,4}", canon(), 0..8)
            .prop_map(|m: BTreeMap<String, Canon>| m.into_iter().collect::<Vec<_>>())
            .prop_shuffle(),
        seed in any::<u64>(),
    ) {
        let as_map = |e: &[(String, Canon)]| {
            Canon::Map(e.iter().map(|(k, v)| (Canon::Str(k.clone()), v.clone())).collect())
        };
        let mut rotated = entries.clone();
        if !rotated.is_empty() {
            let n = rotated.len();
            rotated.rotate_left((seed as usize) % n);
            rotated.swap(0, (seed as usize >> 8) % n);
        }
        match (Key::from_canon("ns", 1, as_map(&entries)), Key::from_canon("ns", 1, as_map(&rotated))) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            // Duplicate keys inside nested maps fail whatever the order.
            (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
            (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
        }
    }

    #[test]
    fn decode_inverts_encode(c in canon()) {
        let Ok(n) = c.clone().normalize() else { return Ok(()) };
        let bytes = n.encode().unwrap();
        prop_assert_eq!(&c.encode().unwrap(), &bytes);
        let back = Canon::decode(&bytes).unwrap();
        prop_assert!(same(&back, &n), "{back} != {n}");
        let key = Key::from_canon("ns", 0, n.clone()).unwrap();
        let again = Key::from_bytes(key.bytes()).unwrap();
        prop_assert!(same(&again.params().unwrap(), &n));
        prop_assert_eq!(again, key);
    }

    #[test]
    fn serde_path_matches_model_path(c in canon()) {
        // `Canon: Serialize` goes through the serde writer; `from_canon` through the
        // model encoder. Both must give the same key, or the same kind of error.
        match (Key::new("ns", &c), Key::from_canon("ns", 0, c.clone())) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.kind(), b.kind()),
            (a, b) => prop_assert!(false, "{a:?} vs {b:?}"),
        }
        if let Ok(n) = c.clone().normalize() {
            prop_assert!(same(&Canon::from_serialize(&c).unwrap(), &n));
        }
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(c) = Canon::decode(&bytes) {
            prop_assert_eq!(c.encode().unwrap(), bytes.clone());
        }
        if let Ok(k) = Key::from_bytes(&bytes) {
            prop_assert_eq!(k.bytes(), &bytes[..]);
        }
    }

    #[test]
    fn mutated_keys_never_panic(c in canon(), at in any::<usize>(), to in any::<u8>()) {
        let Ok(key) = Key::from_canon("ns", 3, c) else { return Ok(()) };
        let mut bytes = key.bytes().to_vec();
        let i = at % bytes.len();
        bytes[i] = to;
        if let Ok(k) = Key::from_bytes(&bytes) {
            prop_assert_eq!(k.bytes(), &bytes[..]);
        }
        bytes.truncate(i);
        prop_assert!(Key::from_bytes(&bytes).is_err());
    }

    #[test]
    fn integral_floats_are_ints(i in -(1i64 << 53)..=(1i64 << 53)) {
        let f = i as f64;
        prop_assert_eq!(Canon::Float(f).encode().unwrap(), Canon::Int(i.into()).encode().unwrap());
        prop_assert_eq!(Key::new("ns", &f).unwrap(), Key::new("ns", &i).unwrap());
        prop_assert_eq!(Canon::from_serialize(&f).unwrap(), Canon::Int(i.into()));
    }
}

/// Serializes with wrong or missing length hints, as some hand-written impls do.
struct Hints {
    seq: Option<usize>,
    map: Option<usize>,
}

impl serde::Serialize for Hints {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct L(Option<usize>);
        impl serde::Serialize for L {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut q = s.serialize_seq(self.0)?;
                for i in 0..200 {
                    q.serialize_element(&i)?;
                }
                q.end()
            }
        }
        let mut m = s.serialize_map(self.map)?;
        m.serialize_entry("z", &L(self.seq))?;
        m.serialize_entry("a", &1)?;
        m.end()
    }
}

#[test]
fn length_hints_do_not_matter() {
    let want = Key::new(
        "ns",
        &Hints {
            seq: Some(200),
            map: Some(2),
        },
    )
    .unwrap();
    for (seq, map) in [
        (None, None),
        (Some(3), Some(0)),
        (Some(1000), None),
        (None, Some(5)),
    ] {
        assert_eq!(
            Key::new("ns", &Hints { seq, map }).unwrap(),
            want,
            "{seq:?} {map:?}"
        );
    }
    let list: Vec<i32> = (0..200).collect();
    let map = Canon::Map(vec![
        (Canon::Str("a".into()), Canon::Int(1)),
        (
            Canon::Str("z".into()),
            Canon::from_serialize(&list).unwrap(),
        ),
    ]);
    assert_eq!(Key::from_canon("ns", 0, map).unwrap(), want);
}

#[test]
fn float_boundaries() {
    let two53 = 9_007_199_254_740_992.0f64;
    assert_eq!(Canon::from_serialize(&two53).unwrap(), Canon::Int(1 << 53));
    assert_eq!(
        Canon::from_serialize(&-two53).unwrap(),
        Canon::Int(-(1 << 53))
    );
    assert_eq!(
        Canon::from_serialize(&(two53 * 2.0)).unwrap(),
        Canon::Float(two53 * 2.0)
    );
    assert_eq!(Canon::from_serialize(&-0.0f64).unwrap(), Canon::Int(0));
}

#[test]
fn errors_are_clear() {
    use larder_core::ErrorKind;
    let e = Key::new("ns", &u128::MAX).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("i128::MAX"), "{e}");

    let dup = Canon::Map(vec![
        (Canon::Str("a".into()), Canon::Null),
        (Canon::Str("a".into()), Canon::Null),
    ]);
    let e = Key::from_canon("ns", 0, dup).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("duplicate map key \"a\""), "{e}");

    struct Fails;
    impl serde::Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no can do"))
        }
    }
    let e = Key::new("ns", &Fails).unwrap_err();
    assert_eq!((e.kind(), e.op()), (ErrorKind::InvalidInput, "build key"));
    assert!(e.message().contains("no can do"), "{e}");

    assert_eq!(
        Key::new("", &1).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let long = "n".repeat(1025);
    assert_eq!(
        Key::new(&long, &1).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(Key::new(&long[..1024], &1).is_ok());
    let big = Canon::Bytes(vec![0; 64 * 1024]);
    assert_eq!(
        Key::from_canon("ns", 0, big).unwrap_err().kind(),
        ErrorKind::TooLarge
    );
}

#[test]
fn depth_is_bounded() {
    use larder_core::ErrorKind;
    use larder_core::key::MAX_DEPTH;
    let nest = |n: usize| (0..n).fold(Canon::Null, |c, _| Canon::List(vec![c]));
    // The key's own map is one level, so params get MAX_DEPTH - 1.
    assert!(Key::from_canon("ns", 0, nest(MAX_DEPTH - 1)).is_ok());
    let e = Key::from_canon("ns", 0, nest(MAX_DEPTH)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(Canon::decode(&nest(MAX_DEPTH).encode().unwrap()).is_ok());
    assert!(nest(MAX_DEPTH + 1).encode().is_err());

    // Hostile input: a million nested list headers must fail cleanly, not overflow.
    let mut deep = [6u8, 1].repeat(1_000_000);
    deep.push(0);
    assert_eq!(Canon::decode(&deep).unwrap_err().kind(), ErrorKind::Corrupt);
    assert_eq!(
        Key::from_bytes(&deep).unwrap_err().kind(),
        ErrorKind::Corrupt
    );

    // A lying length prefix must not allocate its claim.
    let lie = [6u8, 0xff, 0xff, 0xff, 0xff, 0x0f];
    assert_eq!(Canon::decode(&lie).unwrap_err().kind(), ErrorKind::Corrupt);

    // Deeply nested serde values are refused before the stack runs out.
    let mut v = serde_json::Value::Null;
    for _ in 0..10_000 {
        v = serde_json::Value::Array(vec![v]);
    }
    assert_eq!(
        Key::new("ns", &v).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // serde_json's Value drops recursively; leak it rather than overflow in Drop.
    std::mem::forget(v);
}

#[test]
fn non_canonical_inputs_are_rejected() {
    let ok = Canon::Int(1).encode().unwrap();
    assert_eq!(ok, [2, 2]);
    for bad in [
        &[2u8, 0x82, 0x00][..],                // non-minimal varint
        &[3, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],    // 1.0 as a float
        &[3, 1, 0, 0, 0, 0, 0, 0xf8, 0x7f],    // a non-canonical NaN
        &[1, 2],                               // bool 2
        &[4, 1, 0xff],                         // invalid UTF-8
        &[7, 2, 4, 1, b'b', 0, 4, 1, b'a', 0], // unsorted map
        &[7, 2, 4, 1, b'a', 0, 4, 1, b'a', 0], // duplicate key
        &[8],                                  // unknown tag
        &[0, 0],                               // trailing byte
        &[],                                   // empty
    ] {
        assert!(Canon::decode(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn key_hashes_round_trip_through_bytes_and_hex_of_either_case() {
    let h = KeyHash(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
    assert_eq!(KeyHash::from_bytes(h.to_bytes()), h);
    let hex = h.to_hex();
    assert_eq!(hex, "0123456789abcdeffedcba9876543210");
    // Its text form, as in logs and file names, is the hex.
    assert_eq!(h.to_string(), hex);
    assert_eq!(KeyHash::from_hex(&hex).unwrap(), h);
    assert_eq!(KeyHash::from_hex(&hex.to_uppercase()).unwrap(), h);
}
