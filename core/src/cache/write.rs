//! The write path: checking options, building entries, storing frames, and
//! keeping to the limits (expiry and least-recently-used eviction) as it goes.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{Cache, Computed, Deleting, EXPIRED_PER_WRITE, Entry, PutOptions, reserved};
use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::frame::{self, FrameInput};
use crate::key::{Key, KeyHash};
use crate::lru::KeyMap;
use crate::store::{EntryMeta, PutItem, Store};

impl<S: Store, C: Clock> Cache<S, C> {
    /// Store `payload` under `key`, then enforce the limits.
    ///
    /// Fails with [`ErrorKind::TooLarge`] (and changes nothing) if the entry
    /// alone exceeds `max_bytes`.
    pub async fn put(&self, key: &Key, payload: Vec<u8>, opts: &PutOptions) -> Result<()> {
        self.check_options(opts)?;
        let entry = self
            .new_entry(key, payload.into(), opts, opts.cost_us, self.clock.now_ms())
            .map_err(|_| Error::invalid("put", "too many dependencies"))?;
        self.write(key, &entry).await
    }

    /// Refuse options that could never be stored, before anything runs.
    pub(super) fn check_options(&self, opts: &PutOptions) -> Result<()> {
        if opts.ttl_ms == Some(0) {
            return Err(Error::invalid("put", "a ttl must be greater than zero"));
        }
        if opts.stale_ms == Some(0) {
            return Err(Error::invalid(
                "put",
                "a stale-while-revalidate period must be greater than zero",
            ));
        }
        if opts.stale_ms.is_some() && opts.ttl_ms.or(self.config.default_ttl_ms).is_none() {
            return Err(Error::invalid(
                "put",
                "stale-while-revalidate needs a ttl: the entry never goes stale without one",
            ));
        }
        reserved::check_user(&opts.tags)?;
        frame::validate(&opts.tags, &opts.meta)?;
        // Larder's own tags (always valid) count toward the limit too.
        let reserved = usize::from(self.grace(opts).is_some()) + opts.depends_on.len();
        if opts.tags.len() + reserved > frame::MAX_TAGS {
            return Err(Error::invalid(
                "put",
                alloc::format!(
                    "{} tags and {} dependencies are more than the {} an entry can hold",
                    opts.tags.len(),
                    opts.depends_on.len(),
                    frame::MAX_TAGS
                ),
            ));
        }
        Ok(())
    }

    /// The grace period an entry put with `opts` gets, if it expires at all.
    pub(super) fn grace(&self, opts: &PutOptions) -> Option<u64> {
        let ttl = opts.ttl_ms.or(self.config.default_ttl_ms);
        ttl.and(opts.stale_ms.or(self.config.default_stale_ms))
    }

    /// A new entry from checked options, made at `now` (a batch's entries
    /// share one reading of the clock). With more dependencies than the frame
    /// has room for tags, `Err` carries the entry back: it may be returned but
    /// not stored, since its invalidation could not be recorded.
    pub(super) fn new_entry(
        &self,
        key: &Key,
        computed: Computed,
        opts: &PutOptions,
        cost_us: u64,
        now: u64,
    ) -> core::result::Result<Arc<Entry>, Arc<Entry>> {
        let ttl = opts.ttl_ms.or(self.config.default_ttl_ms);
        let fresh_until = ttl.map(|t| now.saturating_add(t));
        let grace = self.grace(opts);
        let expires_ms = fresh_until.map(|t| t.saturating_add(grace.unwrap_or(0)));
        let mut depends_on = opts.depends_on.clone();
        for d in computed.depends_on {
            if d != key.hash() && !depends_on.contains(&d) {
                depends_on.push(d);
            }
        }
        let room = frame::MAX_TAGS
            .saturating_sub(opts.tags.len())
            .saturating_sub(usize::from(grace.is_some()));
        let storable = depends_on.len() <= room;
        let entry = Arc::new(Entry {
            data: computed.payload,
            start: 0,
            codec: opts.codec,
            created_ms: now,
            expires_ms,
            tags: opts.tags.clone(),
            fresh_until_ms: grace.and(fresh_until),
            depends_on,
            meta: opts.meta.clone(),
            cost_us,
            key_bytes: key.bytes().to_vec(),
        });
        if storable { Ok(entry) } else { Err(entry) }
    }

    pub(super) async fn write(&self, key: &Key, entry: &Arc<Entry>) -> Result<()> {
        let item = self.frame_entry(key, entry)?;
        self.write_frames(key.namespace(), alloc::vec![(item, entry.clone())])
            .await
    }

    /// Encode `entry`'s frame and its index record; an entry that alone
    /// exceeds `max_bytes` is [`ErrorKind::TooLarge`].
    pub(super) fn frame_entry(&self, key: &Key, entry: &Entry) -> Result<PutItem> {
        // Larder's own tags (stale-while-revalidate, dependencies) travel with the user's.
        let tags = reserved::join(&entry.tags, entry.fresh_until_ms, &entry.depends_on);
        let frame = frame::encode(&FrameInput {
            key,
            created_ms: entry.created_ms,
            expires_ms: entry.expires_ms,
            cost_us: entry.cost_us,
            codec: entry.codec,
            tags: &tags,
            meta: &entry.meta,
            payload: entry.payload(),
        })?;
        if let Some(max) = self.config.max_bytes {
            if frame.len() as u64 > max {
                return Err(Error::new(
                    ErrorKind::TooLarge,
                    "put",
                    alloc::format!(
                        "the entry takes {} bytes; the cache holds {max}",
                        frame.len()
                    ),
                )
                .with_context(key.namespace()));
            }
        }
        let meta = EntryMeta {
            key: key.hash(),
            size: frame.len() as u64,
            created_ms: entry.created_ms,
            expires_ms: entry.expires_ms,
            // Just made: its last access is its creation.
            last_access_ms: entry.created_ms,
            namespace: key.namespace().into(),
            tags,
            cost_us: entry.cost_us,
        };
        Ok(PutItem { meta, frame })
    }

    /// Write framed entries (one store call: one transaction where the store
    /// batches), account them, then enforce the limits, never evicting an
    /// entry just written. `context` names the write in errors.
    pub(super) async fn write_frames(
        &self,
        context: &str,
        items: Vec<(PutItem, Arc<Entry>)>,
    ) -> Result<()> {
        self.sync_for_limits().await?;
        let (frames, entries): (Vec<PutItem>, Vec<Arc<Entry>>) = items.into_iter().unzip();
        let first = self.put_frames(&frames).await;
        self.stored(context, first, &frames, entries).await
    }

    /// Whether a write must list the store before it writes, to keep limits
    /// whose index has not been loaded yet.
    pub(super) fn must_list_first(&self) -> bool {
        let limited = self.config.max_bytes.is_some() || self.config.max_entries.is_some();
        limited && !self.state.lock().index.loaded
    }

    /// Load the index before a write, if the limits need it.
    pub(super) async fn sync_for_limits(&self) -> Result<()> {
        if self.config.max_bytes.is_some() || self.config.max_entries.is_some() {
            self.sync_index(false).await?;
        }
        Ok(())
    }

    /// After the first attempt (`first`) at storing `frames`: on a full
    /// quota, make room and retry; then account them and enforce the limits.
    pub(super) async fn stored(
        &self,
        context: &str,
        first: Result<()>,
        frames: &[PutItem],
        entries: Vec<Arc<Entry>>,
    ) -> Result<()> {
        let now = self.clock.now_ms();
        let (max_bytes, max_entries) = (self.config.max_bytes, self.config.max_entries);
        match first {
            Err(e) if e.kind() == ErrorKind::StorageFull && self.caps.evict_when_full => {
                // A quota: make room for twice what is written and try again,
                // doubling the room while the store stays full and there is
                // something left to evict. (A browser may count freed space
                // late: Chromium's IndexedDB sometimes refuses the first retry
                // after an eviction that freed more than enough.)
                let size: u64 = frames.iter().map(|f| f.meta.size).sum();
                let (mut room, mut freed) = (2 * size, 0);
                loop {
                    let evicted = self.make_room(room).await?;
                    freed += evicted;
                    match self.put_frames(frames).await {
                        Ok(()) => break,
                        Err(e) if e.kind() == ErrorKind::StorageFull && evicted > 0 => {
                            room = room.saturating_mul(2);
                        }
                        Err(e) => {
                            let why =
                                alloc::format!("{} (after evicting {freed} entries)", e.message());
                            return Err(Error::new(e.kind(), "put", why).with_context(context));
                        }
                    }
                }
            }
            other => other?,
        }
        let written: KeyMap<()> = frames.iter().map(|f| (f.meta.key, ())).collect();
        let over = {
            let mut st = self.state.lock();
            st.wrote = true;
            st.changes += 1;
            for (f, entry) in frames.iter().zip(entries) {
                st.index.insert(&f.meta);
                st.stats.spills += st.mem.insert(f.meta.key, entry);
            }
            st.index.over_limit(max_bytes, max_entries).is_some()
        };
        // Other processes sharing the store may have evicted already: before
        // evicting on a stale view, re-list (at most once per resync interval).
        if over && self.resync_due(now) {
            self.sync_index(true).await?;
        }
        let (expired, evicted) = {
            let mut st = self.state.lock();
            let expired = st.index.expired(now, EXPIRED_PER_WRITE);
            for k in &expired {
                st.index.remove(k);
                st.mem.remove(k);
            }
            st.stats.expired += expired.len() as u64;
            let evicted = self.evict_from_index(&mut st, |k| written.contains_key(k));
            if !(expired.is_empty() && evicted.is_empty()) {
                st.deleting += 1;
            }
            (expired, evicted)
        };
        let _deleting =
            (!(expired.is_empty() && evicted.is_empty())).then(|| Deleting::begun(&self.state));
        let mut dead: Vec<KeyHash> = expired;
        dead.extend(self.emit_evicted(&evicted));
        if !dead.is_empty() {
            if let Err(e) = self.store.delete_many(&dead).await {
                self.absorb(&e);
            }
        }
        Ok(())
    }

    pub(super) async fn put_frames(&self, frames: &[PutItem]) -> Result<()> {
        match frames {
            [one] => self.store.put(&one.meta, &one.frame).await,
            many => self.store.put_many(many).await,
        }
    }
}
