//! Core's log lines reach the app through a trait it implements (`LogSink`): Android
//! sends them to Logcat, iOS to `os_log`. Core logs counts, codes, ids and timings, never
//! names, phones, addresses or notes.

use std::fmt::Write as _;
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

use crate::{DoorstepError, Result};

/// How much a log line matters, most to least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            Level::TRACE => LogLevel::Trace,
        }
    }

    fn level(self) -> Level {
        match self {
            LogLevel::Error => Level::ERROR,
            LogLevel::Warn => Level::WARN,
            LogLevel::Info => Level::INFO,
            LogLevel::Debug => Level::DEBUG,
            LogLevel::Trace => Level::TRACE,
        }
    }
}

/// The app's receiver of core's log lines.
#[uniffi::export(with_foreign)]
pub trait LogSink: Send + Sync {
    /// One line: its level, its target (`doorstep::sync`, `doorstep::store`, ...) and its
    /// message with its fields (`sync done pulled=12 ...`). Called on the thread that
    /// logged: the caller's for most calls, the sync's own thread during `sync`. It must
    /// return quickly and must not call back into Doorstep.
    fn log(&self, level: LogLevel, target: String, message: String);
}

/// Sends core's log lines at `level` and above to `sink`, for the rest of the process.
/// Set it once, before the first `open`; a second call is refused with `Invalid`. Does
/// not block.
#[uniffi::export]
pub fn set_log_sink(sink: Arc<dyn LogSink>, level: LogLevel) -> Result<()> {
    tracing::subscriber::set_global_default(Forward {
        sink,
        max: level.level(),
    })
    .map_err(|_| DoorstepError::Invalid {
        message: "a log sink is set already: it is set once per process".into(),
    })
}

/// A `tracing` subscriber that hands each event of core to the sink as one line; spans
/// are not used by core, so they are not kept.
struct Forward {
    sink: Arc<dyn LogSink>,
    max: Level,
}

impl Subscriber for Forward {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        *meta.level() <= self.max && meta.target().starts_with("doorstep")
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::from_level(self.max))
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line::default();
        event.record(&mut line);
        let meta = event.metadata();
        // A sink that panics must not unwind into core.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.sink.log(
                LogLevel::of(meta.level()),
                meta.target().to_string(),
                line.0,
            )
        }));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// An event's message followed by its other fields as `name=value`.
#[derive(Default)]
struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}{rest}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}
