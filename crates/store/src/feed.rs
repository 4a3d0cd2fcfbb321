//! Rows handed to DuckDB's own parallel insert while they are still being made.
//!
//! A [`Feed`] is a queue of Arrow record batches that other threads fill; the table function
//! `ccpulse_feed(token)` yields them, so that `INSERT INTO t BY NAME SELECT * FROM
//! ccpulse_feed(?)` converts, compresses and writes them on all of DuckDB's threads at once.
//! (DuckDB's appender takes rows on the caller's thread only, and its flushes stop the caller
//! while they run: a bulk load through it keeps one core busy.)
//!
//! The queue is bounded: a producer waits while the insert is behind, and learns when the
//! insert has stopped (it failed, or finished), so it never waits for nobody.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, PoisonError};

use ::duckdb::arrow::datatypes::SchemaRef;
use ::duckdb::arrow::record_batch::RecordBatch;
use ::duckdb::core::{DataChunkHandle, LogicalTypeHandle, LogicalTypeId};
use ::duckdb::vtab::{
    record_batch_to_duckdb_data_chunk, to_duckdb_logical_type_for_field, BindInfo, InitInfo,
    TableFunctionInfo, VTab,
};

use crate::{Result, StoreError};

/// Record batches queued at most before a producer waits.
const QUEUED: usize = 16;

/// The name of the table function.
pub(crate) const FUNCTION: &str = "ccpulse_feed";

#[derive(Default)]
struct State {
    queue: VecDeque<RecordBatch>,
    /// No more batches will come.
    closed: bool,
    /// The insert has stopped taking batches.
    stopped: bool,
}

struct Shared {
    schema: SchemaRef,
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

static FEEDS: LazyLock<Mutex<HashMap<u64, Arc<Shared>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
static NEXT: AtomicU64 = AtomicU64::new(1);

fn feeds() -> MutexGuard<'static, HashMap<u64, Arc<Shared>>> {
    FEEDS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The producer's end of a queue of record batches of one schema.
pub struct Feed {
    token: u64,
    shared: Arc<Shared>,
}

impl Feed {
    /// A new, empty feed of batches of `schema`.
    pub fn new(schema: SchemaRef) -> Self {
        let token = NEXT.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared {
            schema,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        feeds().insert(token, Arc::clone(&shared));
        Self { token, shared }
    }

    /// A closed feed of `batches` (of `schema`), all queued at once.
    pub fn preloaded(schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Self> {
        let feed = Self::new(schema);
        {
            let mut s = feed.shared.lock();
            for b in batches {
                if b.schema() != feed.shared.schema {
                    return Err(StoreError::Invalid(
                        "a record batch of another schema than its feed's".into(),
                    ));
                }
                s.queue.push_back(b);
            }
            s.closed = true;
        }
        Ok(feed)
    }

    /// What names this feed to `ccpulse_feed(?)`.
    pub fn token(&self) -> u64 {
        self.token
    }

    /// Queues `batch`, waiting while the queue is full; an error when the insert has stopped.
    pub fn push(&self, batch: RecordBatch) -> Result<()> {
        if batch.schema() != self.shared.schema {
            return Err(StoreError::Invalid(
                "a record batch of another schema than its feed's".into(),
            ));
        }
        let mut s = self.shared.lock();
        while s.queue.len() >= QUEUED && !s.stopped {
            s = self
                .shared
                .changed
                .wait(s)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if s.stopped {
            return Err(StoreError::Invalid("the insert stopped taking rows".into()));
        }
        s.queue.push_back(batch);
        drop(s);
        self.shared.changed.notify_all();
        Ok(())
    }

    /// Says that no more batches will come: the insert ends once it has taken the queued ones.
    pub fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
    }

    /// A handle for the inserting side.
    pub fn handle(&self) -> FeedHandle {
        FeedHandle {
            token: self.token,
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        // The insert may not have begun yet: it finds the feed (closed) until it is over.
        self.close();
    }
}

/// The inserting side of a [`Feed`], for [`crate::DuckDbStore::insert_feed`].
pub struct FeedHandle {
    token: u64,
    shared: Arc<Shared>,
}

impl FeedHandle {
    pub(crate) fn token(&self) -> u64 {
        self.token
    }

    /// Marks the insert as over, so that a waiting producer stops waiting.
    pub(crate) fn stopped(&self) {
        feeds().remove(&self.token);
        let mut s = self.shared.lock();
        s.stopped = true;
        s.queue.clear();
        drop(s);
        self.shared.changed.notify_all();
    }
}

/// The table function over the feeds.
pub(crate) struct FeedFunction;

pub(crate) struct Bound {
    shared: Arc<Shared>,
}

pub(crate) struct Started;

impl VTab for FeedFunction {
    type BindData = Bound;
    type InitData = Started;

    fn bind(bind: &BindInfo) -> std::result::Result<Self::BindData, Box<dyn std::error::Error>> {
        let token = bind.get_parameter(0).to_uint64();
        let shared = feeds()
            .get(&token)
            .cloned()
            .ok_or_else(|| format!("no feed {token}"))?;
        for f in shared.schema.fields() {
            bind.add_result_column(f.name(), to_duckdb_logical_type_for_field(f)?);
        }
        Ok(Bound { shared })
    }

    fn init(init: &InitInfo) -> std::result::Result<Self::InitData, Box<dyn std::error::Error>> {
        // Every thread DuckDB has may take batches.
        init.set_max_threads(64);
        Ok(Started)
    }

    fn func(
        func: &TableFunctionInfo<Self>,
        output: &mut DataChunkHandle,
    ) -> std::result::Result<(), Box<dyn std::error::Error>> {
        let shared = &func.get_bind_data().shared;
        let vector_size = output.flat_vector(0).capacity();
        let mut s = shared.lock();
        let batch = loop {
            if let Some(b) = s.queue.pop_front() {
                break b;
            }
            if s.closed || s.stopped {
                output.set_len(0);
                return Ok(());
            }
            s = shared
                .changed
                .wait(s)
                .unwrap_or_else(PoisonError::into_inner);
        };
        // A chunk holds one vector of rows: the rest goes back to the front.
        let batch = if batch.num_rows() > vector_size {
            s.queue
                .push_front(batch.slice(vector_size, batch.num_rows() - vector_size));
            batch.slice(0, vector_size)
        } else {
            batch
        };
        drop(s);
        shared.changed.notify_all();
        record_batch_to_duckdb_data_chunk(&batch, output)?;
        Ok(())
    }

    fn parameters() -> Option<Vec<LogicalTypeHandle>> {
        Some(vec![LogicalTypeHandle::from(LogicalTypeId::UBigint)])
    }
}
