//! `cargo xtask bench`: the criterion benchmarks of the `larder` crate, then
//! `docs/BENCHMARKS.md` regenerated from criterion's latest results.
//!
//! The report is a function of the `estimates.json` files criterion leaves in
//! `<target>/criterion/<group>/<function>[/<param>]/new/`, the machine and the
//! commit: running `cargo xtask bench --report-only` twice writes the same file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cmd::{self, Ctx};

mod report;

use report::render;

/// Where the report goes, relative to the workspace root.
const REPORT: &str = "docs/BENCHMARKS.md";

/// Runs the benchmarks (unless `--report-only`), then rewrites `docs/BENCHMARKS.md`.
pub fn run(args: &[String]) -> Result<(), String> {
    let ctx = Ctx::new();
    if args.first().is_some_and(|a| a == "--js") {
        if let Some(extra) = args.get(1) {
            return Err(format!(
                "`bench --js` takes no more arguments, got {extra:?}"
            ));
        }
        return crate::bench_js::run(&ctx);
    }
    let report_only = args.first().is_some_and(|a| a == "--report-only");
    let args = if report_only { &args[1..] } else { args };
    if !report_only {
        run_criterion(&ctx, args)?;
    }
    let target = target_dir(&ctx);
    let criterion = target.join("criterion");
    let results = collect(&criterion)?;
    if results.is_empty() {
        return Err(format!("no criterion results in {}", criterion.display()));
    }
    let mut command = String::new();
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        let _ = write!(command, "CARGO_TARGET_DIR={} ", t.to_string_lossy());
    }
    command.push_str("cargo xtask bench");
    for a in args {
        command.push(' ');
        command.push_str(a);
    }
    let run = RunInfo {
        date: results.latest.map_or_else(|| "unknown".into(), date_of),
        commit: commit(&ctx),
        command,
        machine: Machine::detect(&target.join("tmp")),
    };
    let mut text = render(&results, &run);
    let path = ctx.path(REPORT);
    // The JS tables come from `cargo xtask bench --js`: keep them.
    let old = fs::read_to_string(&path).unwrap_or_default();
    if let Some(js) = crate::bench_js::section_of(&old) {
        text = format!("{}\n\n{js}\n", text.trim_end());
    }
    fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
    println!("xtask bench: wrote {}", path.display());
    let html = criterion.join("report").join("index.html");
    if html.is_file() {
        println!("xtask bench: HTML report: {}", html.display());
    }
    Ok(())
}

/// `cargo bench -p larder ARGS`: ARGS are cargo's, so a filter goes first and
/// criterion's own options after `--`, as in `cargo xtask bench get -- --save-baseline main`.
fn run_criterion(ctx: &Ctx, args: &[String]) -> Result<(), String> {
    cmd::run(ctx.cargo().args(["bench", "-p", "larder"]).args(args))
}

/// The target directory, asking cargo, since `CARGO_TARGET_DIR` or a config
/// file may have moved it.
fn target_dir(ctx: &Ctx) -> PathBuf {
    let metadata =
        cmd::output_of(
            ctx.cargo()
                .args(["metadata", "--format-version", "1", "--no-deps"]),
        );
    metadata
        .as_deref()
        .and_then(|json| json_string_field(json, "target_directory"))
        .map_or_else(|| ctx.path("target"), PathBuf::from)
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

/// The number after `"field":` at or after the start of `json`.
fn json_number_after(json: &str, field: &str) -> Option<f64> {
    let key = format!("\"{field}\"");
    let after = &json[json.find(&key)? + key.len()..];
    let value = after.trim_start().strip_prefix(':')?.trim_start();
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(value.len());
    value[..end].parse().ok()
}

/// A median and its 95% confidence interval, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Median {
    pub ns: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The median of criterion's `estimates.json`:
/// `"median":{"confidence_interval":{...,"lower_bound":L,"upper_bound":U},"point_estimate":X,...}`.
pub fn parse_median(json: &str) -> Option<Median> {
    let key = "\"median\"";
    let median = &json[json.find(key)? + key.len()..];
    // The median object ends at the first `}` after its point estimate (its
    // confidence interval is the only object nested in it, and comes first).
    let ns = json_number_after(median, "point_estimate")?;
    let ci = &median[..median.find("\"point_estimate\"")?];
    Some(Median {
        ns,
        lower: json_number_after(ci, "lower_bound").unwrap_or(ns),
        upper: json_number_after(ci, "upper_bound").unwrap_or(ns),
    })
}

/// One table: a group, maybe a parameter (`1KiB`), and a median per function.
#[derive(Debug, Default)]
pub struct Table {
    pub rows: BTreeMap<String, Median>,
}

/// Every result criterion left, keyed by (group, parameter).
#[derive(Debug, Default)]
pub struct Results {
    pub tables: BTreeMap<(String, String), Table>,
    /// The modification time of the newest result: when the run finished.
    pub latest: Option<SystemTime>,
}

impl Results {
    /// The median of `group/function[/param]`.
    pub fn get(&self, group: &str, function: &str, param: &str) -> Option<Median> {
        let t = self.tables.get(&(group.to_string(), param.to_string()))?;
        t.rows.get(function).copied()
    }

    fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    fn insert(&mut self, group: &str, function: &str, param: &str, m: Median) {
        let key = (group.to_string(), param.to_string());
        self.tables
            .entry(key)
            .or_default()
            .rows
            .insert(function.to_string(), m);
    }
}

/// Read `<criterion>/<group>/<function>[/<param>]/new/estimates.json`.
fn collect(criterion: &Path) -> Result<Results, String> {
    let mut out = Results::default();
    let Ok(groups) = fs::read_dir(criterion) else {
        return Ok(out);
    };
    let dirs = |p: &Path| -> Vec<(String, PathBuf)> {
        let mut v: Vec<_> = fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            .filter(|(n, _)| n != "report" && n != "new" && n != "base" && n != "change")
            .collect();
        v.sort();
        v
    };
    let mut read = |group: &str, function: &str, param: &str, dir: &Path| {
        let path = dir.join("new").join("estimates.json");
        let Ok(json) = fs::read_to_string(&path) else {
            return;
        };
        if let Some(m) = parse_median(&json) {
            out.insert(group, function, param, m);
            let mtime = fs::metadata(&path).and_then(|m| m.modified()).ok();
            out.latest = out.latest.max(mtime);
        }
    };
    let mut groups: Vec<_> = groups.flatten().map(|e| e.path()).collect();
    groups.sort();
    for group_dir in groups {
        let Some(group) = group_dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if group == "report" {
            continue;
        }
        for (function, fdir) in dirs(&group_dir) {
            if fdir.join("new").is_dir() {
                read(group, &function, "", &fdir);
            }
            for (param, pdir) in dirs(&fdir) {
                read(group, &function, &param, &pdir);
            }
        }
    }
    Ok(out)
}

/// Where and when the numbers were measured.
#[derive(Debug, Default)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub filesystem: String,
    pub kernel: String,
}

impl Machine {
    fn detect(bench_dir: &Path) -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == "model name").then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let df = cmd::output_of(Command::new("df").arg("-T").arg(bench_dir));
        let filesystem = df
            .as_deref()
            .and_then(|out| {
                let line = out.lines().nth(1)?;
                let cols: Vec<&str> = line.split_whitespace().collect();
                Some(format!(
                    "{} on {} ({})",
                    cols.get(1)?,
                    cols.last()?,
                    cols[0]
                ))
            })
            .unwrap_or_else(|| "unknown".into());
        let kernel = cmd::output_of(Command::new("uname").arg("-r"))
            .map_or_else(|| "unknown".into(), |k| k.trim().to_string());
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            filesystem,
            kernel,
        }
    }
}

/// The facts of one run printed at the top of the report.
#[derive(Debug, Default)]
pub struct RunInfo {
    pub date: String,
    pub commit: String,
    pub command: String,
    pub machine: Machine,
}

/// `git rev-parse --short HEAD`, with `-dirty` if files other than the report changed.
fn commit(ctx: &Ctx) -> String {
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.current_dir(&ctx.root).args(args);
        cmd::output_of(&mut c)
    };
    let Some(hash) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let exclude = format!(":!{REPORT}");
    let dirty =
        git(&["status", "--porcelain", "--", ".", &exclude]).is_some_and(|s| !s.trim().is_empty());
    format!("{}{}", hash.trim(), if dirty { "-dirty" } else { "" })
}

/// `YYYY-MM-DD HH:MM UTC` of `t`.
fn date_of(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":17700.1,"upper_bound":17950.2},"point_estimate":17820.5,"standard_error":63.9},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":17694.0,"upper_bound":17916.3},"point_estimate":17806.25,"standard_error":55.1},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":300.0,"upper_bound":400.0},"point_estimate":350.0,"standard_error":20.0},"slope":null,"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":500.0,"upper_bound":700.0},"point_estimate":600.0,"standard_error":50.0}}"#;

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

    #[test]
    fn extracts_the_median_not_the_mean() {
        let got = parse_median(ESTIMATES).unwrap();
        assert_eq!(
            got,
            Median {
                ns: 17806.25,
                lower: 17694.0,
                upper: 17916.3
            }
        );
        let spaced = r#"{ "median" : { "confidence_interval" : { "lower_bound" : 1e3, "upper_bound" : 3e3 }, "point_estimate" : 2.5e3 } }"#;
        assert_eq!(parse_median(spaced).unwrap().ns, 2500.0);
        assert_eq!(parse_median(spaced).unwrap().lower, 1000.0);
        assert_eq!(parse_median(r#"{"mean":{"point_estimate":1}}"#), None);
        assert_eq!(parse_median(r#"{"median":{"point_estimate":"x"}}"#), None);
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        let t = UNIX_EPOCH + std::time::Duration::from_secs(19_723 * 86_400 + 3_723);
        assert_eq!(date_of(t), "2024-01-01 01:02 UTC");
    }
}
