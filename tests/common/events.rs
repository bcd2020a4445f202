//! A POST whose response is read as an event stream as it arrives: each event's
//! data parsed, with when it came and the comment lines (keep-alives) before it.

use super::Host;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::time::{Duration, Instant};

/// A response read line by line as it arrives, each line with when it came.
pub struct Stream {
    pub status: u16,
    headers: Vec<(String, String)>,
    reader: BufReader<Box<dyn Read + Send>>,
}

impl Stream {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The next event's data (parsed), when it arrived, and the comment lines
    /// seen before it; `None` at the end of the stream.
    pub fn next_event(&mut self) -> Option<(Instant, Value, usize)> {
        let mut comments = 0;
        let mut data = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() && !data.is_empty() {
                return Some((
                    Instant::now(),
                    serde_json::from_str(&data).unwrap(),
                    comments,
                ));
            }
            if line.starts_with(':') {
                comments += 1;
            } else if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.trim_start());
            }
        }
    }

    /// The rest of the body, whole.
    pub fn rest(mut self) -> String {
        let mut body = String::new();
        self.reader.read_to_string(&mut body).unwrap();
        body
    }
}

/// POSTs `body` with `headers` and returns the response before its body is
/// read; the whole exchange may take up to `timeout`.
pub fn open(host: &Host, headers: &[(&str, &str)], body: &Value, timeout: Duration) -> Stream {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(format!("{}/mcp", host.url()));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = agent
        .run(builder.body(body.to_string().into_bytes()).unwrap())
        .expect("request sent");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let reader: Box<dyn Read + Send> = Box::new(response.into_body().into_reader());
    Stream {
        status,
        headers,
        reader: BufReader::new(reader),
    }
}
