//! `cargo xtask bench`: the criterion benchmarks of the `larder` crate.

use std::path::PathBuf;

use crate::cmd::{self, Ctx};

/// Runs the benchmarks, then says where criterion left its results.
pub fn run(args: &[String]) -> Result<(), String> {
    let ctx = Ctx::new();
    run_criterion(&ctx, args)?;
    let results = criterion_dir(&ctx);
    println!(
        "xtask bench: criterion results are in {}",
        results.display()
    );
    let report = results.join("report").join("index.html");
    if report.is_file() {
        println!("xtask bench: HTML report: {}", report.display());
    }
    Ok(())
}

/// `cargo bench -p larder ARGS`: ARGS are cargo's, so a filter goes first and
/// criterion's own options after `--`, as in `cargo xtask bench get -- --save-baseline main`.
fn run_criterion(ctx: &Ctx, args: &[String]) -> Result<(), String> {
    cmd::run(ctx.cargo().args(["bench", "-p", "larder"]).args(args))
}

/// `<target dir>/criterion`, asking cargo where the target directory is, since
/// `CARGO_TARGET_DIR` or a config file may have moved it.
pub fn criterion_dir(ctx: &Ctx) -> PathBuf {
    let metadata =
        cmd::output_of(
            ctx.cargo()
                .args(["metadata", "--format-version", "1", "--no-deps"]),
        );
    let target = metadata
        .as_deref()
        .and_then(|json| json_string_field(json, "target_directory"))
        .map_or_else(|| ctx.path("target"), PathBuf::from);
    target.join("criterion")
}

/// The value of the first `"field":"value"` in `json`, for simple unescaped values
/// (xtask has no JSON dependency). `None` if absent or escaped.
fn json_string_field(json: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    let after = &json[json.find(&key)? + key.len()..];
    let value = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let end = value.find('"')?;
    let value = &value[..end];
    (!value.contains('\\')).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_target_directory() {
        let json = r#"{"packages":[],"target_directory": "/work/target","version":1}"#;
        assert_eq!(
            json_string_field(json, "target_directory").as_deref(),
            Some("/work/target")
        );
        assert_eq!(json_string_field(json, "workspace_root"), None);
        assert_eq!(
            json_string_field(r#"{"target_directory":"C:\\t"}"#, "target_directory"),
            None
        );
    }
}
