//! Compile errors of `#[larder::memoize]`, each with the message committed
//! next to it (`ui/*.stderr`). After an intended change of a message, run
//! with `TRYBUILD=overwrite` and review the diff.

#[test]
fn memoize_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
