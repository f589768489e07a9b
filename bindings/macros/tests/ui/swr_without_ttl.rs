#[larder::memoize(stale_while_revalidate = "1h")]
async fn feed(url: String) -> String {
    url
}

fn main() {}
