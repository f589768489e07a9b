//! Forwards core [`Event`]s to `tracing`: hits, misses, stale hits and
//! evictions at `debug`, corrupt entries and absorbed errors at `warn`.

use larder_core::cache::{Event, Observer};

/// The observer every `larder::Cache` installs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tracing;

impl Observer for Tracing {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Hit { key, tier } => tracing::debug!(%key, ?tier, "larder hit"),
            Event::Miss { key } => tracing::debug!(%key, "larder miss"),
            Event::Evicted { key, bytes } => tracing::debug!(%key, bytes, "larder eviction"),
            Event::Corrupt { key, error } => {
                tracing::warn!(%key, %error, "larder removed a corrupt entry");
            }
            Event::Error { error } => tracing::warn!(%error, "larder storage error"),
            Event::Stale { key, refresh } => {
                tracing::debug!(%key, refresh, "larder served a stale entry");
            }
            _ => {}
        }
    }
}
