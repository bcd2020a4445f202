//! How a request's notifications reach the client while its work runs.
//!
//! The catalog does not know HTTP: a handler's [`Ctx`](super::Ctx) hands each
//! progress or log notification to an [`EventSink`] that the component's entry
//! provides over the response's body stream. A request without a sink (a batch,
//! a client that cannot read an event stream, a native caller) gets its
//! notifications collected in memory instead, as before.

/// The client stopped reading: its stream is closed, so the work may stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamClosed;

/// Where one request's notifications go as they are produced.
///
/// Nothing reaches the client before the first [`EventSink::send`]: the sink
/// opens the event stream then, so a request whose handler reports nothing is
/// answered as plain JSON.
pub trait EventSink {
    /// Sends one serialized JSON-RPC notification as an event, flushed; opens the
    /// stream first if it is not open yet.
    fn send(&self, message: &str) -> Result<(), StreamClosed>;
    /// Sends a comment line on an open stream, so neither a proxy nor the client
    /// times a silent stream out. Does nothing on a stream not yet open.
    fn keep_alive(&self) -> Result<(), StreamClosed>;
    /// Whether the stream is open (its head has gone to the client): the result
    /// must then be sent as its last event.
    fn is_open(&self) -> bool;
}

/// How long an open stream may stay silent before a keep-alive comment is sent.
/// Well under the idle timeouts of common proxies (60 s) and clients.
pub const KEEP_ALIVE_MS: u64 = 15_000;
