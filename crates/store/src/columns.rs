//! Contacts as Arrow columns, in the order of the `contacts` table (plus `seq`): the appender
//! takes them a record batch at a time, far cheaper than a call per value.

use std::sync::Arc;

use ::duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, Int8Builder, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use ::duckdb::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use ::duckdb::arrow::error::ArrowError;
use ::duckdb::arrow::record_batch::RecordBatch;
use ccpulse_model::{
    days_since_epoch, naive_micros, Contact, Derived, Direction, LocalParts, Outcome,
};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::{Result as StoreResult, StoreError};

macro_rules! columns {
    ($($name:ident : $builder:ty = $dtype:expr),* $(,)?) => {
        /// One builder per column of `staging`.
        #[derive(Default)]
        pub(crate) struct ContactColumns {
            $($name: $builder,)*
            rows: usize,
        }

        impl ContactColumns {
            /// The columns, `seq` last.
            fn schema() -> Schema {
                Schema::new(vec![$(Field::new(stringify!($name), $dtype, true),)*])
            }

            /// The batch built so far, leaving the builders empty.
            pub(crate) fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
                let arrays: Vec<ArrayRef> = vec![$(Arc::new(self.$name.finish()),)*];
                self.rows = 0;
                RecordBatch::try_new(Arc::new(Self::schema()), arrays)
            }
        }
    };
}

fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

columns! {
    tenant: StringBuilder = DataType::Utf8,
    id: StringBuilder = DataType::Utf8,
    channel: StringBuilder = DataType::Utf8,
    source: StringBuilder = DataType::Utf8,
    direction: StringBuilder = DataType::Utf8,
    entry_point: StringBuilder = DataType::Utf8,
    customer: StringBuilder = DataType::Utf8,
    region: StringBuilder = DataType::Utf8,
    business_line: StringBuilder = DataType::Utf8,
    category: StringBuilder = DataType::Utf8,
    business_type: StringBuilder = DataType::Utf8,
    queue: StringBuilder = DataType::Utf8,
    agent: StringBuilder = DataType::Utf8,
    arrived_at: TimestampMicrosecondBuilder = ts_type(),
    ivr_start: TimestampMicrosecondBuilder = ts_type(),
    ivr_end: TimestampMicrosecondBuilder = ts_type(),
    queued_at: TimestampMicrosecondBuilder = ts_type(),
    ring_start: TimestampMicrosecondBuilder = ts_type(),
    answered_at: TimestampMicrosecondBuilder = ts_type(),
    ended_at: TimestampMicrosecondBuilder = ts_type(),
    wrap_up_end: TimestampMicrosecondBuilder = ts_type(),
    hold_s: Float64Builder = DataType::Float64,
    transfers: Int32Builder = DataType::Int32,
    transfer_target: StringBuilder = DataType::Utf8,
    transfer_correct: BooleanBuilder = DataType::Boolean,
    outcome: StringBuilder = DataType::Utf8,
    survey_offered: BooleanBuilder = DataType::Boolean,
    survey_score: StringBuilder = DataType::Utf8,
    survey_reason: StringBuilder = DataType::Utf8,
    resolved_first: BooleanBuilder = DataType::Boolean,
    marketing_attempts: Int32Builder = DataType::Int32,
    marketing_successes: Int32Builder = DataType::Int32,
    qa_score: Float64Builder = DataType::Float64,
    campaign: StringBuilder = DataType::Utf8,
    reached_queue: BooleanBuilder = DataType::Boolean,
    is_inbound: BooleanBuilder = DataType::Boolean,
    is_outbound: BooleanBuilder = DataType::Boolean,
    is_answered: BooleanBuilder = DataType::Boolean,
    is_abandon_outcome: BooleanBuilder = DataType::Boolean,
    ivr_s: Float64Builder = DataType::Float64,
    wait_s: Float64Builder = DataType::Float64,
    ring_s: Float64Builder = DataType::Float64,
    talk_s: Float64Builder = DataType::Float64,
    acw_s: Float64Builder = DataType::Float64,
    handle_s: Float64Builder = DataType::Float64,
    bucket_at: TimestampMicrosecondBuilder = ts_type(),
    local_ts: TimestampMicrosecondBuilder = ts_type(),
    local_date: Date32Builder = DataType::Date32,
    local_hour: Int8Builder = DataType::Int8,
    local_slot: Int16Builder = DataType::Int16,
    local_weekday: Int8Builder = DataType::Int8,
    local_month: Int32Builder = DataType::Int32,
    local_week: Int32Builder = DataType::Int32,
    fingerprint: UInt64Builder = DataType::UInt64,
    call_id: StringBuilder = DataType::Utf8,
    exit_reason: StringBuilder = DataType::Utf8,
    survey_rating: Float64Builder = DataType::Float64,
    seq: Int64Builder = DataType::Int64,
}

fn micros(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::as_microsecond)
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl ContactColumns {
    /// Rows pushed since the last [`Self::finish`].
    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Adds one contact with what was derived from it.
    pub(crate) fn push(
        &mut self,
        c: &Contact,
        d: &Derived,
        bucket_at: Timestamp,
        local: &LocalParts,
        fingerprint: u64,
        seq: i64,
    ) {
        self.rows += 1;
        self.tenant.append_value(c.tenant.as_str());
        self.id.append_value(&c.id);
        self.channel.append_value(c.channel.as_str());
        self.source.append_option(c.source.as_deref());
        self.direction.append_value(c.direction.as_str());
        self.entry_point.append_option(c.entry_point.as_deref());
        self.customer.append_option(c.customer.as_deref());
        self.region.append_option(c.region.as_deref());
        self.business_line.append_option(c.business_line.as_deref());
        self.category.append_option(c.category.as_deref());
        self.business_type
            .append_option(c.business_type.map(|b| b.as_str()));
        self.queue.append_option(c.queue.as_deref());
        self.agent.append_option(c.agent.as_deref());
        self.arrived_at.append_option(micros(c.arrived_at));
        self.ivr_start.append_option(micros(c.ivr_start));
        self.ivr_end.append_option(micros(c.ivr_end));
        self.queued_at.append_option(micros(c.queued_at));
        self.ring_start.append_option(micros(c.ring_start));
        self.answered_at.append_option(micros(c.answered_at));
        self.ended_at.append_option(micros(c.ended_at));
        self.wrap_up_end.append_option(micros(c.wrap_up_end));
        self.hold_s.append_value(c.hold_s);
        self.transfers.append_value(count(c.transfers));
        self.transfer_target
            .append_option(c.transfer_target.as_deref());
        self.transfer_correct.append_option(c.transfer_correct);
        self.outcome.append_value(c.outcome.as_str());
        let survey = c.survey.as_ref();
        self.survey_offered
            .append_value(survey.is_some_and(|s| s.offered));
        self.survey_score
            .append_option(survey.and_then(|s| s.score).map(|s| s.as_str()));
        self.survey_reason
            .append_option(survey.and_then(|s| s.reason.as_deref()));
        self.resolved_first.append_option(c.resolved_first);
        self.marketing_attempts
            .append_value(count(c.marketing_attempts));
        self.marketing_successes
            .append_value(count(c.marketing_successes));
        self.qa_score.append_option(c.qa_score);
        self.campaign.append_option(c.campaign.as_deref());
        self.reached_queue.append_value(d.reached_queue);
        self.is_inbound
            .append_value(c.direction == Direction::Inbound);
        self.is_outbound.append_value(matches!(
            c.direction,
            Direction::Outbound | Direction::Callback
        ));
        self.is_answered
            .append_value(c.outcome == Outcome::Answered);
        self.is_abandon_outcome.append_value(matches!(
            c.outcome,
            Outcome::Abandoned | Outcome::AbandonedRing | Outcome::Timeout
        ));
        self.ivr_s.append_option(d.ivr_s);
        self.wait_s.append_option(d.wait_s);
        self.ring_s.append_option(d.ring_s);
        self.talk_s.append_option(d.talk_s);
        self.acw_s.append_option(d.acw_s);
        self.handle_s.append_option(d.handle_s);
        self.bucket_at.append_value(bucket_at.as_microsecond());
        self.local_ts.append_value(naive_micros(local.datetime));
        self.local_date.append_value(days_since_epoch(local.date));
        self.local_hour.append_value(local.hour);
        self.local_slot.append_value(local.slot);
        self.local_weekday.append_value(local.weekday);
        self.local_month.append_value(local.month);
        self.local_week.append_value(local.week);
        self.fingerprint.append_value(fingerprint);
        self.call_id.append_option(c.call_id.as_deref());
        self.exit_reason.append_option(c.exit_reason.as_deref());
        self.survey_rating
            .append_option(survey.and_then(|s| s.rating));
        self.seq.append_value(seq);
    }
}

impl ContactColumns {
    /// Adds `c` as tenant-zone `tz` buckets it.
    pub(crate) fn push_contact(
        &mut self,
        c: &Contact,
        fingerprint: u64,
        tz: &TimeZone,
        seq: i64,
    ) -> StoreResult<()> {
        let d = c.derived();
        let bucket_at = d
            .bucket_at
            .ok_or_else(|| StoreError::Invalid(format!("contact {}: no time", c.id)))?;
        let local = LocalParts::of(bucket_at, tz);
        self.push(c, &d, bucket_at, &local, fingerprint, seq);
        Ok(())
    }
}

/// Contacts as Arrow record batches in the columns of `contacts` followed by `seq` (their
/// order in the input, a later one wins), made on any thread: what a [`crate::Feed`] (without
/// `seq`) and [`crate::ContactBatch::append_rows`] take.
#[derive(Default)]
pub struct ContactRows {
    columns: ContactColumns,
}

impl ContactRows {
    /// Adds `c` (its local columns in zone `tz`), with its fingerprint and position.
    pub fn push(
        &mut self,
        c: &Contact,
        fingerprint: u64,
        tz: &TimeZone,
        seq: i64,
    ) -> StoreResult<()> {
        self.columns.push_contact(c, fingerprint, tz, seq)
    }

    /// Rows added since the last [`Self::finish`].
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether no row was added since the last [`Self::finish`].
    pub fn is_empty(&self) -> bool {
        self.columns.len() == 0
    }

    /// The rows added so far, with `seq`; the builder starts again empty.
    pub fn finish(&mut self) -> StoreResult<RecordBatch> {
        self.columns
            .finish()
            .map_err(|e| StoreError::Invalid(format!("arrow batch: {e}")))
    }

    /// The schema of a batch without its `seq` column: the rows of `contacts`.
    pub fn table_schema() -> ::duckdb::arrow::datatypes::SchemaRef {
        let mut fields: Vec<_> = ContactColumns::schema().fields().iter().cloned().collect();
        fields.pop();
        Arc::new(Schema::new(fields))
    }

    /// `batch` without its `seq` column (the last).
    pub fn without_seq(mut batch: RecordBatch) -> RecordBatch {
        batch.remove_column(batch.num_columns() - 1);
        batch
    }
}
