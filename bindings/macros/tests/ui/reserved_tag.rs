#[larder::memoize(tags = ["larder:mine"])]
fn f(n: u32) -> u32 {
    n
}

fn main() {}
