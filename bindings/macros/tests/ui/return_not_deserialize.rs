#[derive(serde::Serialize)]
struct Report {
    rows: usize,
}

#[larder::memoize]
fn report(year: u32) -> Report {
    Report { rows: year as usize }
}

fn main() {
    report(2024);
}
