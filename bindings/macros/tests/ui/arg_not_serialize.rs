struct Connection;

#[larder::memoize]
fn query(conn: &Connection, sql: String) -> Vec<String> {
    let _ = conn;
    vec![sql]
}

fn main() {
    query(&Connection, String::new());
}
