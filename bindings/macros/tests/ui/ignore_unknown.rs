#[larder::memoize(ignore = [verbos])]
fn count(text: String, verbose: bool) -> usize {
    if verbose {
        eprintln!("{text}");
    }
    text.len()
}

fn main() {
    count(String::new(), false);
}
