//! The audit log's SQL: append (serialised on the one-row `audit_head`),
//! read a period, and verify the whole chain.

use serde::Serialize;

use super::chain::{self, FIELDS, GENESIS, Hashed, Problem, Verdict};
use super::{AuditEvent, mask};
use crate::db::Db;
use crate::time::{now_millis, rfc3339};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A stored entry, as the API and the compliance report show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    /// RFC 3339.
    pub at: String,
    #[serde(skip)]
    pub at_millis: i64,
    pub actor_kind: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    /// JSON text, secrets masked.
    pub before: Option<String>,
    /// JSON text, secrets masked.
    pub after: Option<String>,
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    pub trace_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The fields the hash covers, in their fixed order.
    fn hashed(&self) -> Hashed<'_> {
        let fields: [Option<&str>; FIELDS] = [
            self.actor_kind.as_deref(),
            self.actor.as_deref(),
            self.action.as_deref(),
            self.target.as_deref(),
            self.outcome.as_deref(),
            self.before.as_deref(),
            self.after.as_deref(),
            self.client_address.as_deref(),
            self.request_id.as_deref(),
            self.trace_id.as_deref(),
        ];
        Hashed {
            seq: self.seq,
            at: self.at_millis,
            fields,
            prev_hash: &self.prev_hash,
        }
    }

    fn from_event(event: AuditEvent, seq: i64, at_millis: i64, prev_hash: String) -> Entry {
        let text = |v: Option<serde_json::Value>| {
            v.map(|mut v| {
                mask(&mut v);
                v.to_string()
            })
        };
        let mut entry = Entry {
            seq,
            at: rfc3339(at_millis),
            at_millis,
            actor_kind: Some(event.actor.kind().to_owned()),
            actor: event.actor.id().map(str::to_owned),
            action: Some(event.action),
            target: event.target,
            outcome: Some(event.outcome.as_str().to_owned()),
            before: text(event.before),
            after: text(event.after),
            client_address: event.origin.client_address,
            request_id: event.origin.request_id,
            trace_id: event.origin.trace_id,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.hashed().hash();
        entry
    }
}

type Row = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

// The statements are written out whole (not assembled with `format!`): sqlx takes
// only `&'static str` as SQL it trusts, and the text is what the database span shows.
const INSERT: &str = "INSERT INTO audit_log (seq, at, actor_kind, actor, action, target, outcome, \
    before_json, after_json, client_address, request_id, trace_id, prev_hash, hash) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const PERIOD: &str = "SELECT seq, at, actor_kind, actor, action, target, outcome, before_json, after_json, \
    client_address, request_id, trace_id, prev_hash, hash FROM audit_log WHERE at >= ? AND at < ? ORDER BY seq LIMIT ?";
const PERIOD_PAGE: &str = "SELECT seq, at, actor_kind, actor, action, target, outcome, before_json, after_json, \
    client_address, request_id, trace_id, prev_hash, hash FROM audit_log WHERE at >= ? AND at < ? AND seq > ? ORDER BY seq LIMIT ?";
const PAGE: &str = "SELECT seq, at, actor_kind, actor, action, target, outcome, before_json, after_json, \
    client_address, request_id, trace_id, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?";

fn from_row(r: Row) -> Entry {
    Entry {
        seq: r.0,
        at: rfc3339(r.1),
        at_millis: r.1,
        actor_kind: r.2,
        actor: r.3,
        action: r.4,
        target: r.5,
        outcome: r.6,
        before: r.7,
        after: r.8,
        client_address: r.9,
        request_id: r.10,
        trace_id: r.11,
        prev_hash: r.12,
        hash: r.13,
    }
}

/// Appends `event` inside `tx`, the transaction of the change it records.
/// The head row is read with a lock (MariaDB: `FOR UPDATE`; SQLite: the
/// write transaction already holds the database's write lock), so
/// concurrent appends queue and each links to the one before.
pub async fn append_in(db: &Db, tx: &mut Tx, event: AuditEvent) -> Result<Entry, sqlx::Error> {
    let head_sql = if db.system().is_sqlite() {
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    } else {
        "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
    };
    let (seq, prev): (i64, String) = db
        .traced(head_sql, sqlx::query_as(head_sql).fetch_one(&mut **tx))
        .await?;
    let entry = Entry::from_event(event, seq + 1, now_millis(), prev);
    db.traced(
        INSERT,
        sqlx::query(INSERT)
            .bind(entry.seq)
            .bind(entry.at_millis)
            .bind(entry.actor_kind.clone())
            .bind(entry.actor.clone())
            .bind(entry.action.clone())
            .bind(entry.target.clone())
            .bind(entry.outcome.clone())
            .bind(entry.before.clone())
            .bind(entry.after.clone())
            .bind(entry.client_address.clone())
            .bind(entry.request_id.clone())
            .bind(entry.trace_id.clone())
            .bind(entry.prev_hash.clone())
            .bind(entry.hash.clone())
            .execute(&mut **tx),
    )
    .await?;
    const HEAD: &str = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1";
    db.traced(
        HEAD,
        sqlx::query(HEAD)
            .bind(entry.seq)
            .bind(entry.hash.clone())
            .execute(&mut **tx),
    )
    .await?;
    // The head also goes to the security log, out of the database's reach:
    // a consistent rewrite of the tail would have to match these lines too.
    tracing::info!(
        audit.seq = entry.seq,
        audit.hash = entry.hash.as_str(),
        audit.action = entry.action.as_deref().unwrap_or_default(),
        "audit appended"
    );
    Ok(entry)
}

/// Appends `event` in a transaction of its own (for events that change
/// nothing else: a failed login, a denied request, a report read).
pub async fn append(db: &Db, event: AuditEvent) -> Result<Entry, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    match append_in(db, &mut tx, event).await {
        Ok(entry) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(entry)
        }
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

/// Entries with `from <= at < to` (epoch milliseconds), oldest first, at
/// most `limit`.
pub async fn entries(db: &Db, from: i64, to: i64, limit: i64) -> Result<Vec<Entry>, sqlx::Error> {
    let rows: Vec<Row> = db
        .traced_all(
            PERIOD,
            sqlx::query_as(PERIOD)
                .bind(from)
                .bind(to)
                .bind(limit)
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Entries with `from <= at < to` and a sequence number above `after_seq`,
/// oldest first, at most `limit`: one page of a period too long for one
/// query (the compliance report walks a period this way).
pub(crate) async fn period_page(
    db: &Db,
    from: i64,
    to: i64,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let rows: Vec<Row> = db
        .traced_all(
            PERIOD_PAGE,
            sqlx::query_as(PERIOD_PAGE)
                .bind(from)
                .bind(to)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Rows read per query while verifying.
const VERIFY_PAGE: i64 = 1_000;

/// Verifies the whole chain, page by page, and that it ends where
/// `audit_head` says (a chain cut short at its end is otherwise intact).
pub async fn verify(db: &Db) -> Result<Verdict, sqlx::Error> {
    let mut after = 0_i64;
    let mut expected_seq = 1_i64;
    let mut prev = GENESIS.to_owned();
    let mut count = 0_u64;
    loop {
        let rows: Vec<Row> = db
            .traced_all(
                PAGE,
                sqlx::query_as(PAGE)
                    .bind(after)
                    .bind(VERIFY_PAGE)
                    .fetch_all(db.pool()),
            )
            .await?;
        let page: Vec<Entry> = rows.into_iter().map(from_row).collect();
        let Some(last) = page.last() else { break };
        after = last.seq;
        let hashed = page.iter().map(|e| (e.hashed(), e.hash.as_str()));
        match chain::verify_from(&prev, expected_seq, hashed) {
            broken @ Verdict::Broken { .. } => return Ok(broken),
            Verdict::Intact { entries, head } => {
                count += entries;
                if let Some((seq, hash)) = head {
                    expected_seq = seq + 1;
                    prev = hash;
                }
            }
        }
    }
    const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
    let (head_seq, head_hash): (i64, String) = db
        .traced(HEAD, sqlx::query_as(HEAD).fetch_one(db.pool()))
        .await?;
    let last_seq = expected_seq - 1;
    if head_seq != last_seq || head_hash != prev {
        // Rows after the last one present were removed (or the head edited).
        return Ok(Verdict::Broken {
            seq: last_seq + 1,
            problem: Problem::Gap,
        });
    }
    Ok(Verdict::Intact {
        entries: count,
        head: (last_seq > 0).then_some((last_seq, prev)),
    })
}
