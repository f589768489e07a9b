//! `docs/BENCHMARKS.md` from the collected results: the Targets section,
//! then one table per group and parameter, in a fixed order.

use std::fmt::Write as _;

use super::{Results, RunInfo, Table};

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
    use super::super::{Machine, Median, Results, RunInfo, Table};
    use super::*;

    fn m(ns: f64) -> Median {
        Median {
            ns,
            lower: ns * 0.99,
            upper: ns * 1.01,
        }
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
}
