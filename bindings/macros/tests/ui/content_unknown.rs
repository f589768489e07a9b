#[larder::memoize(content = [path])]
fn size(input: std::path::PathBuf) -> u64 {
    std::fs::metadata(input).map(|m| m.len()).unwrap_or(0)
}

fn main() {
    size("x".into());
}
