//! Schema migrations: each runs once, in order, in its own transaction, recorded in
//! `schema_version`.

use ::duckdb::Connection;

use crate::{Result, StoreError};

/// The columns of `contacts`, in table order; the appender writes them in this order.
pub const CONTACT_COLUMNS: &str = "
    tenant VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    source VARCHAR,
    direction VARCHAR NOT NULL,
    entry_point VARCHAR,
    customer VARCHAR,
    region VARCHAR,
    business_line VARCHAR,
    category VARCHAR,
    business_type VARCHAR,
    queue VARCHAR,
    agent VARCHAR,
    arrived_at TIMESTAMP,
    ivr_start TIMESTAMP,
    ivr_end TIMESTAMP,
    queued_at TIMESTAMP,
    ring_start TIMESTAMP,
    answered_at TIMESTAMP,
    ended_at TIMESTAMP,
    wrap_up_end TIMESTAMP,
    hold_s DOUBLE NOT NULL,
    transfers INTEGER NOT NULL,
    transfer_target VARCHAR,
    transfer_correct BOOLEAN,
    outcome VARCHAR NOT NULL,
    survey_offered BOOLEAN NOT NULL,
    survey_score VARCHAR,
    survey_reason VARCHAR,
    resolved_first BOOLEAN,
    marketing_attempts INTEGER NOT NULL,
    marketing_successes INTEGER NOT NULL,
    qa_score DOUBLE,
    campaign VARCHAR,
    reached_queue BOOLEAN NOT NULL,
    is_inbound BOOLEAN NOT NULL,
    is_outbound BOOLEAN NOT NULL,
    is_answered BOOLEAN NOT NULL,
    is_abandon_outcome BOOLEAN NOT NULL,
    ivr_s DOUBLE,
    wait_s DOUBLE,
    ring_s DOUBLE,
    talk_s DOUBLE,
    acw_s DOUBLE,
    handle_s DOUBLE,
    bucket_at TIMESTAMP NOT NULL,
    local_ts TIMESTAMP NOT NULL,
    local_date DATE NOT NULL,
    local_hour TINYINT NOT NULL,
    local_slot SMALLINT NOT NULL,
    local_weekday TINYINT NOT NULL,
    local_month INTEGER NOT NULL,
    local_week INTEGER NOT NULL,
    fingerprint UBIGINT NOT NULL
";

/// 1: tenants, contacts, quarantine.
fn migration_1() -> String {
    format!(
        "CREATE TABLE tenants (
                name VARCHAR PRIMARY KEY,
                timezone VARCHAR NOT NULL,
                service_level_threshold DOUBLE NOT NULL,
                short_abandon DOUBLE NOT NULL,
                created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            );
            -- Times are UTC; local_* columns are the tenant's wall clock at bucket_at.
            CREATE TABLE contacts ({CONTACT_COLUMNS});
            CREATE SEQUENCE quarantine_seq;
            CREATE TABLE quarantine (
                qid BIGINT PRIMARY KEY DEFAULT nextval('quarantine_seq'),
                tenant VARCHAR NOT NULL,
                format VARCHAR NOT NULL,
                file VARCHAR NOT NULL,
                line BIGINT NOT NULL,
                field VARCHAR,
                reason VARCHAR NOT NULL,
                raw VARCHAR NOT NULL,
                rejected_at TIMESTAMP NOT NULL DEFAULT current_timestamp
            );"
    )
}

/// 2: sources beyond the canonical contacts: call ids and exit reasons, agent state
/// intervals, open queue_log stints, unknown queue_log words, tail checkpoints.
const MIGRATION_2: &str = "ALTER TABLE contacts ADD COLUMN call_id VARCHAR;
         ALTER TABLE contacts ADD COLUMN exit_reason VARCHAR;
         ALTER TABLE contacts ADD COLUMN survey_rating DOUBLE;
         -- [start_at, end_at) in UTC; end_at NULL while the interval lasts. Layered: logged_in
         -- covers a session, busy / acw / break lie within it.
         CREATE TABLE agent_states (
             tenant VARCHAR NOT NULL,
             agent VARCHAR NOT NULL,
             state VARCHAR NOT NULL,
             reason VARCHAR,
             queue VARCHAR,
             start_at TIMESTAMP NOT NULL,
             end_at TIMESTAMP,
             source VARCHAR NOT NULL
         );
         CREATE TABLE queue_log_open (
             tenant VARCHAR NOT NULL,
             call_id VARCHAR NOT NULL,
             queue VARCHAR NOT NULL,
             enter_epoch VARCHAR NOT NULL,
             enter_at TIMESTAMP NOT NULL,
             customer VARCHAR,
             agent VARCHAR,
             ring_s DOUBLE,
             file VARCHAR NOT NULL,
             line BIGINT NOT NULL
         );
         CREATE TABLE queue_log_other (
             tenant VARCHAR NOT NULL,
             file VARCHAR NOT NULL,
             line BIGINT NOT NULL,
             event_at TIMESTAMP NOT NULL,
             call_id VARCHAR,
             queue VARCHAR,
             agent VARCHAR,
             verb VARCHAR NOT NULL,
             data VARCHAR
         );
         CREATE TABLE tail_checkpoints (
             tenant VARCHAR NOT NULL,
             path VARCHAR NOT NULL,
             file_id VARCHAR NOT NULL,
             byte_offset BIGINT NOT NULL,
             line BIGINT NOT NULL,
             updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
             PRIMARY KEY (tenant, path)
         );";

/// 3: live events, access (users, tokens, sessions) and alerts.
const MIGRATION_3: &str = "CREATE SEQUENCE events_seq;
         -- Every accepted event as it came (its JSON with the tenant filled in), once per id.
         CREATE TABLE events (
             tenant VARCHAR NOT NULL,
             event_id VARCHAR NOT NULL,
             seq BIGINT NOT NULL DEFAULT nextval('events_seq'),
             type VARCHAR NOT NULL,
             contact_id VARCHAR,
             agent VARCHAR,
             event_at TIMESTAMP NOT NULL,
             received_at TIMESTAMP NOT NULL,
             body VARCHAR NOT NULL,
             PRIMARY KEY (tenant, event_id)
         );
         CREATE TABLE users (
             name VARCHAR PRIMARY KEY,
             role VARCHAR NOT NULL,
             password_hash VARCHAR NOT NULL,
             -- Comma-separated tenants the user may see; NULL for all.
             tenants VARCHAR,
             created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
         );
         -- Only hashes of tokens and session ids are kept.
         CREATE TABLE tokens (
             token_hash VARCHAR PRIMARY KEY,
             user_name VARCHAR NOT NULL,
             label VARCHAR,
             created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
         );
         CREATE TABLE sessions (
             session_hash VARCHAR PRIMARY KEY,
             user_name VARCHAR NOT NULL,
             expires_at TIMESTAMP NOT NULL
         );
         CREATE TABLE alert_rules (
             tenant VARCHAR NOT NULL,
             id VARCHAR NOT NULL,
             rule VARCHAR NOT NULL,
             created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
             PRIMARY KEY (tenant, id)
         );
         CREATE SEQUENCE alert_seq;
         CREATE TABLE alert_history (
             seq BIGINT NOT NULL DEFAULT nextval('alert_seq'),
             tenant VARCHAR NOT NULL,
             rule_id VARCHAR NOT NULL,
             rule VARCHAR NOT NULL,
             scope VARCHAR NOT NULL,
             state VARCHAR NOT NULL,
             value DOUBLE,
             event_at TIMESTAMP NOT NULL
         );";

/// 4: agents, tickets, the subscriber base, report schedules and their runs.
const MIGRATION_4: &str = "CREATE TABLE agents (
             tenant VARCHAR NOT NULL,
             id VARCHAR NOT NULL,
             name VARCHAR,
             team VARCHAR,
             -- Comma-separated.
             skill_groups VARCHAR,
             hired_on DATE,
             left_on DATE,
             scheduled_minutes DOUBLE,
             PRIMARY KEY (tenant, id)
         );
         CREATE TABLE tickets (
             tenant VARCHAR NOT NULL,
             id VARCHAR NOT NULL,
             kind VARCHAR NOT NULL,
             contact_id VARCHAR,
             customer VARCHAR,
             business_line VARCHAR,
             category VARCHAR,
             -- The category path's last part: the complaint type repeats are matched on.
             leaf VARCHAR,
             channel VARCHAR,
             created_at TIMESTAMP NOT NULL,
             closed_at TIMESTAMP,
             valid BOOLEAN,
             escalated BOOLEAN NOT NULL,
             escalated_via VARCHAR,
             refund DOUBLE,
             satisfaction VARCHAR,
             -- Tenant-local creation time: tickets count in the period they were created.
             local_ts TIMESTAMP NOT NULL,
             PRIMARY KEY (tenant, id)
         );
         CREATE TABLE subscribers (
             tenant VARCHAR NOT NULL,
             month VARCHAR NOT NULL,
             business_line VARCHAR NOT NULL,
             subscribers UBIGINT NOT NULL,
             PRIMARY KEY (tenant, month, business_line)
         );
         CREATE TABLE report_schedules (
             tenant VARCHAR NOT NULL,
             id VARCHAR NOT NULL,
             report VARCHAR NOT NULL,
             every VARCHAR NOT NULL,
             day INTEGER NOT NULL,
             at_time VARCHAR NOT NULL,
             out_dir VARCHAR NOT NULL,
             format VARCHAR NOT NULL,
             lang VARCHAR NOT NULL,
             webhook VARCHAR,
             created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
             PRIMARY KEY (tenant, id)
         );
         CREATE TABLE report_runs (
             tenant VARCHAR NOT NULL,
             schedule_id VARCHAR NOT NULL,
             period VARCHAR NOT NULL,
             path VARCHAR NOT NULL,
             generated_at TIMESTAMP NOT NULL,
             PRIMARY KEY (tenant, schedule_id, period)
         );";

/// 5: the event log without a primary key. An index over every event id grew with the
/// log: each append paid more, and it held memory that a server meant to run flat for
/// months cannot give. Ids are kept unique by the only writer (a filter of logged ids
/// and a lookup for what it cannot rule out); see `DuckDbStore::log_events`.
const MIGRATION_5: &str = "CREATE TABLE events_v5 (
             tenant VARCHAR NOT NULL,
             event_id VARCHAR NOT NULL,
             seq BIGINT NOT NULL DEFAULT nextval('events_seq'),
             type VARCHAR NOT NULL,
             contact_id VARCHAR,
             agent VARCHAR,
             event_at TIMESTAMP NOT NULL,
             received_at TIMESTAMP NOT NULL,
             body VARCHAR NOT NULL
         );
         INSERT INTO events_v5 SELECT * FROM events ORDER BY seq;
         DROP TABLE events;
         ALTER TABLE events_v5 RENAME TO events;";

/// Migrations in order; index + 1 is the version.
/// 6: saved views of the explore page (templates), per tenant, shared or their owner's.
const MIGRATION_6: &str = "CREATE TABLE templates (
             tenant VARCHAR NOT NULL,
             name VARCHAR NOT NULL,
             owner VARCHAR NOT NULL,
             shared BOOLEAN NOT NULL,
             view VARCHAR NOT NULL,
             updated_at TIMESTAMP NOT NULL,
             PRIMARY KEY (tenant, name)
         );";

/// 7: per-tenant settings of seed 001's analyses: wait bands, anomalous talk, repeat window.
const MIGRATION_7: &str =
    "ALTER TABLE tenants ADD COLUMN wait_bands VARCHAR DEFAULT '10,20,30,60,120,300';
         ALTER TABLE tenants ADD COLUMN ultra_short_talk DOUBLE DEFAULT 10;
         ALTER TABLE tenants ADD COLUMN ultra_long_factor DOUBLE DEFAULT 3;
         ALTER TABLE tenants ADD COLUMN repeat_days DOUBLE DEFAULT 7;";

/// 8: what a user may see within their tenants: queues, provinces, one agent.
const MIGRATION_8: &str = "ALTER TABLE users ADD COLUMN queues VARCHAR;
         ALTER TABLE users ADD COLUMN regions VARCHAR;
         ALTER TABLE users ADD COLUMN agent VARCHAR;";

/// 9: tokens that expire, and tokens that only read.
const MIGRATION_9: &str = "ALTER TABLE tokens ADD COLUMN expires_at TIMESTAMP;
         ALTER TABLE tokens ADD COLUMN read_only BOOLEAN DEFAULT false;";

/// 10: each tenant's masking rule; users that are disabled without being removed.
const MIGRATION_10: &str = "ALTER TABLE tenants ADD COLUMN mask_keep VARCHAR DEFAULT '3,4';
         ALTER TABLE users ADD COLUMN disabled BOOLEAN DEFAULT false;";

/// 11: how long a contact may stay open on the live floor without a step.
const MIGRATION_11: &str = "ALTER TABLE tenants ADD COLUMN open_limit_minutes DOUBLE DEFAULT 240;";

fn migrations() -> Vec<String> {
    vec![
        migration_1(),
        MIGRATION_2.to_owned(),
        MIGRATION_3.to_owned(),
        MIGRATION_4.to_owned(),
        MIGRATION_5.to_owned(),
        MIGRATION_6.to_owned(),
        MIGRATION_7.to_owned(),
        MIGRATION_8.to_owned(),
        MIGRATION_9.to_owned(),
        MIGRATION_10.to_owned(),
        MIGRATION_11.to_owned(),
    ]
}

/// The schema version this build writes.
pub fn current_version() -> i64 {
    i64::try_from(migrations().len()).unwrap_or(i64::MAX)
}

/// Brings the database to the current version.
pub fn migrate(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        );",
    )?;
    let found: i64 = conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    let known = current_version();
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    for (i, sql) in migrations().iter().enumerate() {
        let version = i64::try_from(i).unwrap_or(i64::MAX) + 1;
        if version <= found {
            continue;
        }
        conn.execute_batch("BEGIN TRANSACTION")?;
        let applied = conn.execute_batch(sql).and_then(|()| {
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
                .map(|_| ())
        });
        match applied {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                conn.execute_batch("ROLLBACK")?;
                return Err(e.into());
            }
        }
        tracing::info!(version, "applied schema migration");
    }
    Ok(())
}
