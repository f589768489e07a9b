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

/// The groups in report order: name, the function the others are compared
/// with, the functions in row order, and what the group measures.
const GROUPS: &[(&str, &str, &[&str], &str)] = &[
    (
        "get_hit",
        "larder",
        &["larder", "cacache", "std_fs_read"],
        "A hit read from the filesystem: larder with its memory tier off and a prepared \
         key (open, read, frame checksum and decode, recency bookkeeping), cacache's \
         `read_sync`, and `std::fs::read` of a file holding the same bytes. Keys cycle \
         over 1000 entries (100 at 1 MiB).",
    ),
    (
        "put",
        "larder",
        &["larder", "cacache", "std_fs_write", "std_fs_write_rename"],
        "A write of new bytes over one of 1000 existing keys: larder's `put_bytes` \
         (key derivation, frame encode with an lz4 attempt, temp file + rename, no \
         fsync; the 1 GiB default limit is never reached, so no eviction), cacache's \
         `write_sync`, plain `std::fs::write` (the floor, not atomic), and write to a \
         temp file then rename (the atomic floor).",
    ),
    (
        "put_new_key",
        "larder",
        &["larder", "cacache", "std_fs_write_rename"],
        "The usual put, a new key after a miss: every write names a key never written \
         before, so no file is replaced; larder's `put_bytes`, cacache's `write_sync`, \
         and write to a temp file then rename to a new name (the atomic floor).",
    ),
    (
        "get_or_compute_hit",
        "larder_fs",
        &["larder_fs", "larder_memory"],
        "`get_or_compute` on a present key (postcard-typed `Vec<u8>`), over 1000 keys, \
         with the memory tier off and on.",
    ),
    (
        "memory_hit",
        "larder_prepared_key",
        &[
            "larder_prepared_key",
            "larder_blocking_prepared_key",
            "larder_prepared_key_one_hot",
            "larder_with_key_derivation",
            "hashmap_clone",
        ],
        "A hit served from the memory tier, over 1000 keys of 1 KiB, with a prepared key: \
         the async `core().get` polled by `block_on` (cycling over the 1000 keys, and on \
         one hot key), and the blocking API's `get_entry`, which serves memory hits \
         synchronously; then the blocking `get_bytes` with small struct params (derives \
         the key and copies the payload out), and a `Mutex<HashMap<u128, Arc<Vec<u8>>>>` lookup \
         plus `Arc` clone for scale.",
    ),
    (
        "key_derivation",
        "larder_key",
        &["larder_key", "serde_json_xxh3"],
        "Building a key from a 4-field struct `{name: &str, n: u64, ratio: f64, flags: \
         Vec<bool>}`: larder's canonical key against `serde_json::to_vec` + `xxh3_128`.",
    ),
    (
        "open",
        "larder_open",
        &["larder_open", "larder_open_then_stats"],
        "`Cache::open` on a directory of 100,000 entries of ~100 bytes, and open followed \
         by `stats()`, which lists every entry to load the index: the price of the first \
         write or first `stats()` after opening a large cache.",
    ),
];

/// `"12.3 ns"`, `"4.56 µs"`, `"789 ms"`: three significant digits.
pub fn human(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if v >= 100.0 {
        format!("{v:.0} {unit}")
    } else if v >= 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.2} {unit}")
    }
}

/// How `function` compares with `reference`, the slower one on top:
/// `"cacache / larder = 3.10×"` or `"larder / std_fs_read = 1.20×"`.
pub fn ratio(reference: &str, ref_ns: f64, function: &str, ns: f64) -> String {
    if function == reference {
        return "—".into();
    }
    if ns >= ref_ns {
        format!("{function} / {reference} = {:.2}×", ns / ref_ns)
    } else {
        format!("{reference} / {function} = {:.2}×", ref_ns / ns)
    }
}

/// The markdown table of one group and parameter.
pub fn render_table(reference: &str, order: &[&str], table: &Table) -> String {
    let mut names: Vec<&str> = order
        .iter()
        .copied()
        .filter(|f| table.rows.contains_key(*f))
        .collect();
    names.extend(
        table
            .rows
            .keys()
            .map(String::as_str)
            .filter(|f| !order.contains(f)),
    );
    let ref_ns = table.rows.get(reference).map(|m| m.ns);
    let mut s = String::from("| function | median | 95% CI of the median | vs larder |\n");
    s.push_str("| --- | ---: | ---: | --- |\n");
    for name in names {
        let m = table.rows[name];
        let vs = ref_ns.map_or_else(|| "—".into(), |r| ratio(reference, r, name, m.ns));
        let _ = writeln!(
            s,
            "| `{name}` | {} | {} – {} | {vs} |",
            human(m.ns),
            human(m.lower),
            human(m.upper)
        );
    }
    s
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

/// `"64KiB"` → 65536, `"100k"` → 100000, for ordering parameters by size;
/// anything else sorts first, by name.
fn param_size(param: &str) -> (u64, String) {
    let digits = param
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(param.len());
    let n: u64 = param[..digits].parse().unwrap_or(0);
    let unit = match &param[digits..] {
        "" | "B" => 1,
        "k" => 1000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => 0,
    };
    (n * unit, param.to_string())
}

/// One line of the Targets section: the target, what was measured, met or not.
pub fn targets(r: &Results) -> Vec<String> {
    let verdict = |ok: bool| if ok { "**met**" } else { "**NOT met**" };
    let missing = |what: &str| format!("not measured (no result for {what})");
    let mut out = Vec::new();

    let larder = r.get("get_hit", "larder", "1KiB");
    let fs_read = r.get("get_hit", "std_fs_read", "1KiB");
    let cacache = r.get("get_hit", "cacache", "1KiB");
    let line = match (larder, fs_read, cacache) {
        (Some(l), Some(f), Some(c)) => {
            let (vs_fs, vs_cacache) = (l.ns / f.ns, c.ns / l.ns);
            let (a, b) = (vs_fs <= 1.5, vs_cacache >= 2.0);
            format!(
                "{}: larder {} vs `fs::read` {}: larder / fs::read = {vs_fs:.2}× \
                 (target ≤ 1.5×: {}); cacache {}: cacache / larder = {vs_cacache:.2}× \
                 (target ≥ 2×: {}).",
                verdict(a && b),
                human(l.ns),
                human(f.ns),
                verdict(a),
                human(c.ns),
                verdict(b)
            )
        }
        _ => missing("get_hit/*/1KiB"),
    };
    out.push(format!(
        "**fs get hit at 1 KiB**: at most 1.5× a plain `fs::read` of the same bytes, and at \
         least 2× faster than cacache's read. {line}"
    ));

    let line = match (
        r.get("memory_hit", "larder_blocking_prepared_key", ""),
        r.get("memory_hit", "larder_prepared_key", ""),
    ) {
        (Some(sync), Some(async_)) => format!(
            "{}: the blocking API, which serves memory hits without a future, {} over 1000 \
             keys (target ≤ 150 ns); the async API, whose `get` is a future polled by \
             `block_on` here, {} ({}).",
            verdict(sync.ns <= 150.0),
            human(sync.ns),
            human(async_.ns),
            if async_.ns <= 150.0 {
                "within 150 ns"
            } else {
                "above 150 ns"
            }
        ),
        _ => missing("memory_hit/larder_blocking_prepared_key"),
    };
    out.push(format!("**Memory-tier hit**: at most 150 ns. {line}"));

    let line = match (
        r.get("put_new_key", "larder", "1KiB"),
        r.get("put_new_key", "cacache", "1KiB"),
    ) {
        (Some(l), Some(c)) => {
            let x = c.ns / l.ns;
            let mut line = format!(
                "{}: a new key (the usual put): larder {} vs cacache {}: cacache / larder \
                 = {x:.2}× (target ≥ 3×).",
                verdict(x >= 3.0),
                human(l.ns),
                human(c.ns)
            );
            if let (Some(l), Some(c)) = (
                r.get("put", "larder", "1KiB"),
                r.get("put", "cacache", "1KiB"),
            ) {
                let _ = write!(
                    line,
                    " Overwriting an existing key: larder {} vs cacache {} ({:.2}×).",
                    human(l.ns),
                    human(c.ns),
                    c.ns / l.ns
                );
            }
            line
        }
        _ => missing("put_new_key/*/1KiB"),
    };
    out.push(format!(
        "**put at 1 KiB**: at least 3× faster than cacache's write. {line}"
    ));

    let line = match r.get("open", "larder_open", "100k") {
        Some(m) => {
            let mut s = format!(
                "{}: `Cache::open` {} (target ≤ 50 ms).",
                verdict(m.ns <= 50e6),
                human(m.ns)
            );
            if let Some(st) = r.get("open", "larder_open_then_stats", "100k") {
                let _ = write!(
                    s,
                    " Open is lazy; the first `stats()` or write lists every entry: open + \
                     `stats()` takes {}, outside the target but paid once per process.",
                    human(st.ns)
                );
            }
            s
        }
        None => missing("open/larder_open/100k"),
    };
    out.push(format!(
        "**Opening a 100k-entry directory**: at most 50 ms. {line}"
    ));
    out
}

/// The whole of `docs/BENCHMARKS.md`.
pub fn render(r: &Results, run: &RunInfo) -> String {
    let mut s = String::new();
    s.push_str(
        "# Benchmarks\n\n\
         Generated by `cargo xtask bench` from criterion's latest results; do not edit by \
         hand (`cargo xtask bench --report-only` regenerates it without running anything).\n\
         The benchmarks are in `bindings/rust/benches/larder.rs`.\n\n",
    );
    let m = &run.machine;
    let _ = writeln!(s, "- Date: {}", run.date);
    let _ = writeln!(s, "- Commit: `{}`", run.commit);
    let _ = writeln!(s, "- Command: `{}`", run.command);
    let _ = writeln!(s, "- CPU: {} × {}", m.cpus, m.cpu_model);
    let _ = writeln!(s, "- Kernel: Linux {}", m.kernel);
    let _ = writeln!(
        s,
        "- Filesystem of the bench directories (`<target>/tmp`): {}",
        m.filesystem
    );
    s.push_str(
        "\nAll files are hot in the page cache, so these are CPU and system-call costs, \
         not disk latency; nothing is fsynced. Payloads are incompressible noise, so lz4 \
         never shrinks larder's entries. Times are criterion medians (3 s of samples after \
         1 s of warm-up, 10 samples for `open`); on a small shared machine expect a few \
         percent of noise between runs, more where the 95% interval is wide.\n\n\
         What larder does on every read that a plain `fs::read` does not: verify the \
         frame (xxh3 over all of it) and the stored key, and record the access in \
         memory; a key's access is written back to its file's mtime at most once a \
         minute, in batches. A put over an existing key renames a new file over the old \
         one; on ext4 that frees an inode per write, and creating files next to many \
         recently freed inodes is slow on this VM (ext4's `recently_deleted` scan), \
         which is why the overwrite rows are far slower than new-key puts.\n\n\
         ## Targets\n\n",
    );
    for t in targets(r) {
        let _ = writeln!(s, "- {t}");
    }
    let mut done = Vec::new();
    for (group, reference, order, about) in GROUPS {
        let mut tables: Vec<_> = r.tables.iter().filter(|((g, _), _)| g == group).collect();
        tables.sort_by_key(|((_, param), _)| param_size(param));
        for ((g, param), table) in tables {
            done.push((g.clone(), param.clone()));
            let title = if param.is_empty() {
                g.clone()
            } else {
                format!("{g}/{param}")
            };
            let _ = writeln!(s, "\n## `{title}`\n\n{about}\n");
            s.push_str(&render_table(reference, order, table));
        }
    }
    for ((g, param), table) in &r.tables {
        if !done.contains(&(g.clone(), param.clone())) {
            let _ = writeln!(s, "\n## `{g}/{param}`\n");
            s.push_str(&render_table("larder", &[], table));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":17700.1,"upper_bound":17950.2},"point_estimate":17820.5,"standard_error":63.9},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":17694.0,"upper_bound":17916.3},"point_estimate":17806.25,"standard_error":55.1},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":300.0,"upper_bound":400.0},"point_estimate":350.0,"standard_error":20.0},"slope":null,"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":500.0,"upper_bound":700.0},"point_estimate":600.0,"standard_error":50.0}}"#;

    fn m(ns: f64) -> Median {
        Median {
            ns,
            lower: ns * 0.99,
            upper: ns * 1.01,
        }
    }

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
    fn human_units() {
        assert_eq!(human(45.678), "45.7 ns");
        assert_eq!(human(7.0), "7.00 ns");
        assert_eq!(human(17_806.25), "17.8 µs");
        assert_eq!(human(384_870.0), "385 µs");
        assert_eq!(human(1_479_900.0), "1.48 ms");
        assert_eq!(human(2.5e9), "2.50 s");
    }

    #[test]
    fn ratios_put_the_slower_on_top() {
        assert_eq!(ratio("larder", 10.0, "larder", 10.0), "—");
        assert_eq!(
            ratio("larder", 10.0, "cacache", 31.0),
            "cacache / larder = 3.10×"
        );
        assert_eq!(
            ratio("larder", 12.0, "std_fs_read", 10.0),
            "larder / std_fs_read = 1.20×"
        );
    }

    #[test]
    fn table_rows_follow_the_given_order_then_the_rest() {
        let mut t = Table::default();
        t.rows.insert("std_fs_read".into(), m(10_000.0));
        t.rows.insert("zzz_extra".into(), m(5.0));
        t.rows.insert("cacache".into(), m(40_000.0));
        t.rows.insert("larder".into(), m(20_000.0));
        let got = render_table("larder", &["larder", "cacache", "std_fs_read"], &t);
        let want = "\
| function | median | 95% CI of the median | vs larder |
| --- | ---: | ---: | --- |
| `larder` | 20.0 µs | 19.8 µs – 20.2 µs | — |
| `cacache` | 40.0 µs | 39.6 µs – 40.4 µs | cacache / larder = 2.00× |
| `std_fs_read` | 10.0 µs | 9.90 µs – 10.1 µs | larder / std_fs_read = 2.00× |
| `zzz_extra` | 5.00 ns | 4.95 ns – 5.05 ns | larder / zzz_extra = 4000.00× |
";
        assert_eq!(got, want);
    }

    #[test]
    fn targets_say_met_and_not_met_plainly() {
        let mut r = Results::default();
        r.insert("get_hit", "larder", "1KiB", m(9_000.0));
        r.insert("get_hit", "std_fs_read", "1KiB", m(6_000.0));
        r.insert("get_hit", "cacache", "1KiB", m(27_000.0));
        r.insert("memory_hit", "larder_prepared_key", "", m(210.0));
        r.insert("memory_hit", "larder_blocking_prepared_key", "", m(151.0));
        r.insert("open", "larder_open", "100k", m(1e6));
        let t = targets(&r);
        assert_eq!(t.len(), 4);
        assert!(t[0].contains("**met**: larder 9.00 µs"), "{}", t[0]);
        assert!(t[0].contains("1.50×"), "{}", t[0]);
        assert!(t[1].contains("**NOT met**: the blocking API"), "{}", t[1]);
        assert!(
            t[1].contains("151 ns") && t[1].contains("210 ns"),
            "{}",
            t[1]
        );
        assert!(t[2].contains("not measured"));
        assert!(t[3].contains("**met**: `Cache::open` 1.00 ms"));
    }

    #[test]
    fn report_is_deterministic_and_complete() {
        let mut r = Results::default();
        r.insert("get_hit", "larder", "1KiB", m(9_000.0));
        r.insert("get_hit", "larder", "64KiB", m(30_000.0));
        r.insert("get_hit", "larder", "1MiB", m(900_000.0));
        r.insert("key_derivation", "larder_key", "", m(200.0));
        r.insert("other", "x", "p", m(1.0));
        let run = RunInfo {
            date: "2025-01-02 03:04 UTC".into(),
            commit: "abc1234".into(),
            command: "cargo xtask bench".into(),
            machine: Machine::default(),
        };
        let a = render(&r, &run);
        assert_eq!(a, render(&r, &run));
        for needle in [
            "## `get_hit/1KiB`",
            "## `get_hit/64KiB`",
            "## `key_derivation`",
            "## `other/p`",
            "- Commit: `abc1234`",
            "## Targets",
        ] {
            assert!(a.contains(needle), "{needle} missing from\n{a}");
        }
        assert!(a.find("get_hit/1KiB") < a.find("key_derivation"));
        let (k1, k64, m1) = (
            a.find("`get_hit/1KiB`"),
            a.find("`get_hit/64KiB`"),
            a.find("`get_hit/1MiB`"),
        );
        assert!(k1 < k64 && k64 < m1, "sizes in order");
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
