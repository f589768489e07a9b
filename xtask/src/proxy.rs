//! A forward HTTP proxy on loopback, one request per upstream connection,
//! for the Chromium that wasm-bindgen-test-runner drives.
//!
//! Why: the runner serves the test page with tiny_http 0.12, whose thread
//! pool can strand a connection. A keep-alive connection holds a pool thread
//! until the client closes it, and `TaskPool::spawn` counts a thread as free
//! until that thread has woken and taken its work; so when Chromium opens
//! five or more connections at once (the page's JS modules load in
//! parallel), a later one can be queued behind threads that are all taken,
//! and the page waits forever for that module. Seen here as the browser
//! suite hanging at "Loading scripts..." with one request unread in the
//! server's socket, in 5 of 8 runs once the page had five JS snippets.
//!
//! Through this proxy every request reaches the runner on a connection of
//! its own with `Connection: close`, so no pool thread is held past its
//! response and a queued connection is taken at the next one's end. Only
//! plain-HTTP requests to loopback are forwarded; anything else gets a 403.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::thread;

/// Start the proxy on an ephemeral loopback port; it runs until the process
/// ends. Returns its address.
pub fn start() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            thread::spawn(move || {
                // A client or the runner hanging up mid-request is not ours
                // to report: the test run says what it saw.
                let _ = serve(client);
            });
        }
    });
    Ok(addr)
}

/// The Chromium flags that send every request through the proxy at `addr`,
/// loopback included (Chromium bypasses proxies for loopback by default).
pub fn chromium_args(addr: SocketAddr) -> [String; 2] {
    [
        format!("--proxy-server=http://{addr}"),
        "--proxy-bypass-list=<-loopback>".to_string(),
    ]
}

/// `webdriver` (a webdriver.json's text) with `args` added first to its
/// `goog:chromeOptions` args; `None` if it has no `"args": [`.
pub fn with_chromium_args(webdriver: &str, args: &[String]) -> Option<String> {
    const AT: &str = "\"args\": [";
    let at = webdriver.find(AT)? + AT.len();
    let quoted: String = args.iter().map(|a| format!("\n      \"{a}\",")).collect();
    Some(format!("{}{quoted}{}", &webdriver[..at], &webdriver[at..]))
}

/// Relay one request of `client` to its loopback origin and the whole
/// response back, then close both connections.
fn serve(client: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let Some(request) = read_request(&mut reader)? else {
        return Ok(());
    };
    let Some((origin, path)) = loopback_target(&request.target) else {
        return client.write_all(
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let mut upstream = TcpStream::connect(origin)?;
    let mut head = format!("{} {path} HTTP/1.1\r\n", request.method);
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(&request.body)?;
    io::copy(&mut upstream, &mut client)?;
    Ok(())
}

struct Request {
    method: String,
    target: String,
    /// Every header but the hop-by-hop ones this proxy replaces.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// The request at the start of `reader`; `None` if the client closed first.
fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(io::Error::other(format!(
            "not an HTTP request line: {line:?}"
        )));
    };
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        match name.to_ascii_lowercase().as_str() {
            "connection" | "proxy-connection" | "keep-alive" => continue,
            "content-length" => {
                length = value.parse().map_err(io::Error::other)?;
            }
            "transfer-encoding" => {
                return Err(io::Error::other("chunked request bodies are not relayed"));
            }
            _ => {}
        }
        headers.push((name.to_string(), value.to_string()));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        method,
        target,
        headers,
        body,
    }))
}

/// `http://127.0.0.1:PORT/path` (or `localhost`) as its origin and path.
fn loopback_target(target: &str) -> Option<(SocketAddr, String)> {
    let rest = target.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = authority.rsplit_once(':')?;
    let ip = match host {
        "localhost" => Ipv4Addr::LOCALHOST,
        h => h.parse::<Ipv4Addr>().ok().filter(Ipv4Addr::is_loopback)?,
    };
    Some((SocketAddr::from((ip, port.parse().ok()?)), path.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn forwards_only_to_loopback() {
        assert_eq!(
            loopback_target("http://127.0.0.1:8000/run.js?x=1"),
            Some((
                SocketAddr::from(([127, 0, 0, 1], 8000)),
                "/run.js?x=1".into()
            ))
        );
        assert_eq!(
            loopback_target("http://localhost:9"),
            Some((SocketAddr::from(([127, 0, 0, 1], 9)), "/".into()))
        );
        assert_eq!(loopback_target("http://example.com:80/"), None);
        assert_eq!(loopback_target("http://10.0.0.1:80/"), None);
        assert_eq!(loopback_target("https://127.0.0.1:443/"), None);
        assert_eq!(loopback_target("127.0.0.1:443"), None);
    }

    #[test]
    fn adds_chromium_args_first() {
        let json = "{\"goog:chromeOptions\": {\n    \"args\": [\n      \"--headless=new\"\n    ]\n  }\n}\n";
        let out = with_chromium_args(json, &["--a".into(), "--b=<c>".into()]).unwrap();
        assert!(
            out.contains(
                "\"args\": [\n      \"--a\",\n      \"--b=<c>\",\n      \"--headless=new\"\n"
            ),
            "{out}"
        );
        assert_eq!(with_chromium_args("{}", &["--a".into()]), None);
    }

    /// A request through the proxy reaches a real server on its own
    /// connection, marked `Connection: close`, and its response comes back
    /// whole; a request for another host is refused.
    #[test]
    fn relays_one_request_per_connection() {
        let origin = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = origin.local_addr().unwrap().port();
        let seen = thread::spawn(move || {
            let (conn, _) = origin.accept().unwrap();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut head = String::new();
            while !head.ends_with("\r\n\r\n") {
                assert!(reader.read_line(&mut head).unwrap() > 0, "{head}");
            }
            let mut body = [0; 3];
            reader.read_exact(&mut body).unwrap();
            let mut conn = conn;
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                .unwrap();
            (head, body)
        });
        let proxy = start().unwrap();
        let mut c = TcpStream::connect(proxy).unwrap();
        write!(
            c,
            "POST http://127.0.0.1:{port}/p?q HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Proxy-Connection: keep-alive\r\nContent-Length: 3\r\n\r\nabc"
        )
        .unwrap();
        let mut response = String::new();
        c.read_to_string(&mut response).unwrap();
        assert_eq!(
            response,
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        );
        let (head, body) = seen.join().unwrap();
        assert_eq!(
            head,
            format!(
                "POST /p?q HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
            )
        );
        assert_eq!(&body, b"abc");

        let mut c = TcpStream::connect(proxy).unwrap();
        c.write_all(b"GET http://example.com/ HTTP/1.1\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        c.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    }
}
