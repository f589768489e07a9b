#[larder::memoize(ttl = "24 hours")]
fn slow(n: u64) -> u64 {
    n
}

#[larder::memoize(ttl = "90")]
fn no_unit(n: u64) -> u64 {
    n
}

fn main() {
    slow(1);
    no_unit(1);
}
