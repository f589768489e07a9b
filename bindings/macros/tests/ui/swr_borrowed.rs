#[larder::memoize(ttl = "1m", stale_while_revalidate = "1h")]
async fn feed(url: &str) -> String {
    url.to_string()
}

fn main() {}
