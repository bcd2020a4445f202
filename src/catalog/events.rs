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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Ctx;
    use crate::climbing::progress::Progress;
    use crate::identity::{Caller, Scope};
    use crate::platform::memory::MemoryPlatform;
    use std::cell::{Cell, RefCell};

    /// Records what a request sends; closes after `open_for` writes.
    #[derive(Default)]
    struct Recorder {
        sent: RefCell<Vec<String>>,
        open_for: Option<usize>,
        open: Cell<bool>,
    }

    impl Recorder {
        fn write(&self, what: String) -> Result<(), StreamClosed> {
            if self.open_for.is_some_and(|n| self.sent.borrow().len() >= n) {
                return Err(StreamClosed);
            }
            self.sent.borrow_mut().push(what);
            Ok(())
        }
    }

    impl EventSink for Recorder {
        fn send(&self, message: &str) -> Result<(), StreamClosed> {
            self.open.set(true);
            self.write(message.to_owned())
        }
        fn keep_alive(&self) -> Result<(), StreamClosed> {
            match self.open.get() {
                true => self.write(": keep-alive".into()),
                false => Ok(()),
            }
        }
        fn is_open(&self) -> bool {
            self.open.get()
        }
    }

    fn ctx<'p>(platform: &'p MemoryPlatform, sink: &'p Recorder) -> Ctx<'p> {
        let caller = Caller {
            subject: "tester".into(),
            scopes: vec![Scope::Read],
        };
        let mut ctx = Ctx::new(platform, caller);
        ctx.progress_token = Some("t".into());
        ctx.sink = Some(sink);
        ctx
    }

    #[test]
    fn progress_goes_out_live_and_only_when_it_increases() {
        let platform = MemoryPlatform::default();
        let sink = Recorder::default();
        let ctx = ctx(&platform, &sink);
        assert!(!ctx.streamed(), "nothing sent, nothing opened");
        for p in [1.0, 1.0, 0.5, 2.0, f64::NAN, 3.0] {
            ctx.progress(p, Some(3.0), None);
        }
        let sent: Vec<f64> = sink
            .sent
            .borrow()
            .iter()
            .map(|m| serde_json::from_str::<serde_json::Value>(m).unwrap())
            .map(|m| m["params"]["progress"].as_f64().unwrap())
            .collect();
        assert_eq!(sent, [1.0, 2.0, 3.0]);
        assert!(ctx.streamed());
        assert!(ctx.take_notifications().is_empty(), "none left for later");
    }

    #[test]
    fn a_silent_open_stream_gets_keep_alives_at_step_boundaries() {
        let platform = MemoryPlatform::default();
        let sink = Recorder::default();
        let ctx = ctx(&platform, &sink);
        assert!(!ctx.cancelled());
        assert!(
            sink.sent.borrow().is_empty(),
            "no keep-alive before the stream opens"
        );
        ctx.progress(1.0, None, None);
        platform
            .now_ms
            .set(platform.now_ms.get() + KEEP_ALIVE_MS - 1);
        assert!(!ctx.cancelled());
        assert_eq!(sink.sent.borrow().len(), 1);
        platform.now_ms.set(platform.now_ms.get() + 1);
        assert!(!ctx.cancelled());
        assert_eq!(sink.sent.borrow().last().unwrap(), ": keep-alive");
    }

    #[test]
    fn a_closed_stream_cancels_the_work() {
        let platform = MemoryPlatform::default();
        let sink = Recorder {
            open_for: Some(1),
            ..Default::default()
        };
        let ctx = ctx(&platform, &sink);
        ctx.progress(1.0, None, None);
        assert!(!ctx.stop());
        ctx.progress(2.0, None, None);
        assert!(ctx.stop(), "the write failed: the client is gone");
        ctx.progress(3.0, None, None);
        assert_eq!(sink.sent.borrow().len(), 1);
    }
}
