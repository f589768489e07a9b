//! Content keys: a function of a file or a directory, cached by what the path
//! holds rather than by its name. A moved file still hits; an edited one
//! misses; a copied directory tree hits.
//!
//! Run with `cargo run -p larder --example content_keys`. It works in a
//! temporary directory with an in-memory cache.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use larder::Cache;

static CACHE: LazyLock<Cache> = LazyLock::new(|| {
    Cache::builder()
        .in_memory()
        .open()
        .expect("an in-memory cache opens")
});
static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Words in a file: keyed by the file's bytes.
#[larder::memoize(cache = &*CACHE, content = [input])]
fn word_count(input: &Path) -> usize {
    RUNS.fetch_add(1, Relaxed);
    fs::read_to_string(input).map_or(0, |s| s.split_whitespace().count())
}

/// Lines of Rust in a tree: keyed by every file's name and bytes.
#[larder::memoize(cache = &*CACHE, content = [root])]
fn rust_lines(root: PathBuf) -> usize {
    RUNS.fetch_add(1, Relaxed);
    let mut n = 0;
    let mut todo = vec![root];
    while let Some(dir) = todo.pop() {
        for e in fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                n += fs::read_to_string(&p).map_or(0, |s| s.lines().count());
            }
        }
    }
    n
}

/// "computed" or "from the cache", from whether the function ran.
fn how(before: usize) -> &'static str {
    if RUNS.load(Relaxed) > before {
        "computed"
    } else {
        "from the cache"
    }
}

fn main() -> std::io::Result<()> {
    let tmp = std::env::temp_dir().join(format!("larder-content-example-{}", std::process::id()));
    fs::create_dir_all(&tmp)?;
    let notes = tmp.join("notes.txt");
    fs::write(&notes, "the quick brown fox")?;

    let r = RUNS.load(Relaxed);
    println!("notes.txt: {} words, {}", word_count(&notes), how(r));
    let moved = tmp.join("archive-notes.txt");
    fs::rename(&notes, &moved)?;
    let r = RUNS.load(Relaxed);
    println!("moved file: {} words, {}", word_count(&moved), how(r));
    fs::write(&moved, "the quick brown fox jumps")?;
    let r = RUNS.load(Relaxed);
    println!("edited file: {} words, {}", word_count(&moved), how(r));

    let src = tmp.join("src");
    for (name, body) in [
        ("main.rs", "fn main() {\n    run();\n}\n"),
        ("lib/run.rs", "pub fn run() {}\n"),
    ] {
        let p = src.join(name);
        fs::create_dir_all(p.parent().unwrap_or(&src))?;
        fs::write(p, body)?;
    }
    let r = RUNS.load(Relaxed);
    println!(
        "src tree: {} lines of Rust, {}",
        rust_lines(src.clone()),
        how(r)
    );
    let copy = tmp.join("copy-of-src");
    copy_tree(&src, &copy)?;
    let r = RUNS.load(Relaxed);
    println!(
        "copied tree: {} lines of Rust, {}",
        rust_lines(copy.clone()),
        how(r)
    );
    fs::write(
        copy.join("lib/run.rs"),
        "pub fn run() {\n    println!(\"hi\");\n}\n",
    )?;
    let r = RUNS.load(Relaxed);
    println!(
        "edited tree: {} lines of Rust, {}",
        rust_lines(copy),
        how(r)
    );
    fs::remove_dir_all(&tmp)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else {
            fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}
