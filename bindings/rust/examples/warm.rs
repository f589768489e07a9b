//! Warming a cache ahead of time: render a grid of map tiles four at a time,
//! with a progress bar, then warm again and find them all cached.
//!
//! Run with `cargo run --release -p larder --example warm`. The cache lives in
//! `$LARDER_DIR`, or `larder` in the platform cache directory.

use std::io::Write;
use std::time::Instant;

use larder::{Progress, Warm};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy)]
struct Tile {
    zoom: u32,
    x: u32,
    y: u32,
}

/// A slow stand-in for rendering: Julia set escape times, one byte a pixel.
fn render(t: &Tile) -> Vec<u8> {
    let size = 96u32;
    let scale = 3.0 / f64::from(size << t.zoom);
    let mut out = Vec::with_capacity((size * size) as usize);
    for py in 0..size {
        for px in 0..size {
            let mut zr = f64::from(t.x * size + px) * scale - 1.5;
            let mut zi = f64::from(t.y * size + py) * scale - 1.5;
            let mut i = 0u32;
            while i < 600 && zr * zr + zi * zi <= 4.0 {
                let tmp = zr * zr - zi * zi - 0.8;
                zi = 2.0 * zr * zi + 0.156;
                zr = tmp;
                i += 1;
            }
            out.push((i % 256) as u8);
        }
    }
    out
}

/// `[#########...........]  24/64`, redrawn in place with `\r`.
fn bar(p: &Progress) {
    const WIDTH: usize = 30;
    let total = p.total.unwrap_or(p.done).max(1);
    let filled = WIDTH * p.done / total;
    print!(
        "\r[{}{}] {:>3}/{total}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        p.done
    );
    let _ = std::io::stdout().flush();
}

fn main() -> Result<(), larder::Error> {
    let cache = larder::blocking::Cache::open_default()?;
    let tiles: Vec<Tile> = (0..8)
        .flat_map(|x| (0..8).map(move |y| Tile { zoom: 3, x, y }))
        .collect();
    // Start cold, so every run shows the work.
    for t in &tiles {
        cache.remove("example::tiles", t)?;
    }

    for round in ["first", "second"] {
        let t = Instant::now();
        let warm = Warm::new().concurrency(4).on_progress(bar);
        let done = cache.warm("example::tiles", tiles.clone(), warm, render)?;
        println!();
        println!(
            "{round} warm: {} tiles, {} computed, {} already cached, {} failed, in {:.0} ms",
            done.done,
            done.computed,
            done.cached,
            done.failed,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    let tile: Option<Vec<u8>> = cache.get("example::tiles", &tiles[9])?;
    println!(
        "tile (3, 1, 1): {} bytes from the cache",
        tile.map_or(0, |t| t.len())
    );
    Ok(())
}
