//! A small HTTP/1.1 server on 127.0.0.1 for hermetic tests: a handler closure answers each
//! request, and every request is recorded (path, headers, arrival time) for assertions.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, ...
    pub method: String,
    /// The path with its query, e.g. `/api/v1/crates/serde/owners`.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// When it arrived.
    pub at: Instant,
}

impl Request {
    /// A header's value, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// A response to send.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Never answer: the connection stays open, silent, until the client gives up.
    pub hang: bool,
}

impl Reply {
    /// A response with a status and body.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            hang: false,
        }
    }

    /// No response at all: the request is read and recorded, and the connection is held
    /// open without a byte of answer (a hung service).
    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::new(0, "")
        }
    }

    /// 200 with a JSON body.
    pub fn json(value: &serde_json::Value) -> Reply {
        Reply::new(200, serde_json::to_vec(value).unwrap())
            .header("Content-Type", "application/json")
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; it stops accepting when dropped (the listener thread is detached).
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    handler: Arc<Mutex<Arc<Handler>>>,
}

impl Server {
    /// Starts a server answering with `handler`.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Mutex<Arc<Handler>>> = Arc::new(Mutex::new(Arc::new(handler)));
        let (log, current) = (requests.clone(), handler.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, current) = (log.clone(), current.clone());
                std::thread::spawn(move || serve_connection(stream, &log, &current));
            }
        });
        Server {
            url,
            requests,
            handler,
        }
    }

    /// A server that accepts every connection and never answers (`Reply::hang`).
    pub fn hanging() -> Server {
        Server::start(|_| Reply::hang())
    }

    /// Replaces the handler (the server "changes its answers between runs").
    pub fn set_handler(&self, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) {
        *self.handler.lock().unwrap() = Arc::new(handler);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.requests.lock().unwrap().clear();
    }

    /// The base URL with a trailing slash.
    pub fn base(&self) -> String {
        format!("{}/", self.url)
    }
}

fn serve_connection(stream: TcpStream, log: &Mutex<Vec<Request>>, handler: &Mutex<Arc<Handler>>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(stream) => stream,
        Err(_) => return,
    });
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        let mut headers = BTreeMap::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" || header == "\n"
            {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        if let Some(length) = headers
            .get("content-length")
            .and_then(|length| length.parse::<usize>().ok())
        {
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
        }
        let request = Request {
            method,
            path,
            headers,
            at: Instant::now(),
        };
        log.lock().unwrap().push(request.clone());
        let current = handler.lock().unwrap().clone();
        let reply = current(&request);
        if reply.hang {
            // Hold the connection until the client closes it.
            let mut byte = [0u8; 1];
            while matches!(reader.read(&mut byte), Ok(n) if n > 0) {}
            return;
        }
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Length: {}\r\n",
            reply.status,
            reason(reply.status),
            reply.body.len()
        );
        for (name, value) in &reply.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(&reply.body).is_err() {
            return;
        }
        let _ = stream.flush();
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
