//! The README's demo: memoize an expensive computation on the filesystem and
//! show the miss, the hit, both timings, and the cache's stats.
//!
//! Run with `cargo xtask demo` (or `cargo run --release -p larder --example demo`).
//! The cache lives in `$LARDER_DIR`, or `larder` in the platform cache directory.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Which part of the Mandelbrot set to render: the parameters that key the cache.
#[derive(Serialize, Deserialize, Clone, Copy)]
struct Region {
    center_re: f64,
    center_im: f64,
    span: f64,
    width: u32,
    height: u32,
    max_iter: u32,
}

/// Escape-time iteration counts, one byte per pixel: deliberately slow.
fn render(r: Region) -> Vec<u8> {
    let mut out = Vec::with_capacity((r.width * r.height) as usize);
    let scale = r.span / f64::from(r.width);
    for y in 0..r.height {
        for x in 0..r.width {
            let cr = r.center_re + (f64::from(x) - f64::from(r.width) / 2.0) * scale;
            let ci = r.center_im + (f64::from(y) - f64::from(r.height) / 2.0) * scale;
            let (mut zr, mut zi, mut i) = (0.0f64, 0.0f64, 0);
            while i < r.max_iter && zr * zr + zi * zi <= 4.0 {
                let t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                i += 1;
            }
            out.push((i % 256) as u8);
        }
    }
    out
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<(), larder::Error> {
    let dir = larder::default_dir()?;
    let cache = larder::blocking::Cache::open(&dir)?;
    let region = Region {
        center_re: -0.743_643_887,
        center_im: 0.131_825_904,
        span: 0.000_014_628,
        width: 640,
        height: 480,
        max_iter: 4_000,
    };
    let ns = "demo::mandelbrot";
    // Start cold, so every run shows a miss and then a hit.
    cache.remove(ns, &region)?;
    println!("larder demo, cache in {}", dir.display());

    let t = Instant::now();
    let image: Vec<u8> = cache.get_or_compute(ns, &region, || render(region))?;
    let miss = t.elapsed();
    println!("miss: rendered {} pixels in {}", image.len(), ms(miss));

    let t = Instant::now();
    let again: Vec<u8> = cache.get_or_compute(ns, &region, || render(region))?;
    let hit = t.elapsed();
    assert_eq!(again, image);
    let speedup = |d: Duration| miss.as_secs_f64() / d.as_secs_f64().max(1e-9);
    println!(
        "hit:  the same {} pixels from memory in {} ({:.0}x faster)",
        again.len(),
        ms(hit),
        speedup(hit)
    );

    // A second handle without a memory tier reads the file, as another process would.
    let from_disk = larder::Cache::builder()
        .dir(&dir)
        .memory_bytes(0u64)
        .open()?
        .blocking();
    let t = Instant::now();
    let disk: Vec<u8> = from_disk.get_or_compute(ns, &region, || render(region))?;
    let disk_hit = t.elapsed();
    assert_eq!(disk, image);
    println!(
        "hit:  the same {} pixels from disk in {} ({:.0}x faster)",
        disk.len(),
        ms(disk_hit),
        speedup(disk_hit)
    );

    let s = cache.stats()?;
    println!(
        "stats: {} hits, {} misses, hit rate {:.0}%, {} entries, {} in the store, {} in memory, {} saved",
        s.hits,
        s.misses,
        s.hit_rate * 100.0,
        s.entries,
        larder::units::format_size(s.store_bytes),
        larder::units::format_size(s.memory_bytes),
        larder::units::format_duration_ms(s.time_saved_us / 1000),
    );
    Ok(())
}
