#[derive(Debug)]
struct ParseError;

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad number")
    }
}

#[larder::memoize]
fn parse(text: String) -> Result<u32, ParseError> {
    text.parse().map_err(|_| ParseError)
}

fn main() {
    let _ = parse(String::new());
}
