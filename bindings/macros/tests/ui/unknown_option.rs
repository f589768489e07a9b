#[larder::memoize(time_to_live = "1h")]
fn f(n: u32) -> u32 {
    n
}

fn main() {}
