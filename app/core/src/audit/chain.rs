//! The hash chain that makes the audit log tamper-evident.
//!
//! Every entry stores the hash of the entry before it (`prev_hash`; the
//! first one stores [`GENESIS`]) and its own hash, SHA-256 over its sequence
//! number, its fields exactly as stored, and `prev_hash`. So:
//! - an edited row no longer matches its own hash;
//! - a deleted row leaves a gap in the sequence, and the next row's
//!   `prev_hash` names a row that is not there;
//! - a row re-hashed after an edit breaks the next row's `prev_hash`;
//! - rewriting the whole tail consistently needs the chain's head, which is
//!   also written to the security log at every append (`audit appended`,
//!   with `seq` and `hash`), out of the database's reach.
//!
//! The text fields are hashed as stored, each with its length in front, so
//! no two different rows can feed the same bytes to the hash, and a
//! re-serialisation of JSON (key order, spacing) never changes a hash.

use sha2::{Digest, Sha256};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry's hashed content, as stored. `None` and `""` hash differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hashed<'a> {
    pub seq: i64,
    /// The time, as stored: epoch milliseconds ([`crate::time`]).
    pub at: i64,
    pub fields: [Option<&'a str>; FIELDS],
    pub prev_hash: &'a str,
}

/// The number of text fields an entry hashes besides `seq`, `at` and
/// `prev_hash`: see `crate::audit::AuditEntry::hashed`.
pub const FIELDS: usize = 10;

impl Hashed<'_> {
    /// The entry's hash, 64 hex digits.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"shop-audit/v1\n");
        h.update(self.seq.to_be_bytes());
        h.update(self.at.to_be_bytes());
        for field in self.fields {
            put(&mut h, field);
        }
        put(&mut h, Some(self.prev_hash));
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn put(h: &mut Sha256, field: Option<&str>) {
    match field {
        None => h.update(b"-"),
        Some(text) => {
            h.update(b"+");
            h.update((text.len() as u64).to_be_bytes());
            h.update(text.as_bytes());
        }
    }
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is intact and linked: `entries` of them, ending at
    /// `head` (the last hash; `None` for an empty log).
    Intact {
        entries: u64,
        head: Option<(i64, String)>,
    },
    /// The first entry at which the chain breaks, and how.
    Broken { seq: i64, problem: Problem },
}

/// How the chain is broken at an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Its content does not match its hash: the row was edited.
    Edited,
    /// Its `prev_hash` is not the previous entry's hash: a row before it
    /// was deleted, or edited and re-hashed.
    Unlinked,
    /// Its sequence number does not follow the previous one: rows are missing.
    Gap,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Edited => "edited",
            Problem::Unlinked => "unlinked",
            Problem::Gap => "gap",
        }
    }
}

/// Walks entries in sequence order, each with its stored hash, and
/// reports the first break. The first entry must be sequence 1.
pub fn verify<'a>(entries: impl IntoIterator<Item = (Hashed<'a>, &'a str)>) -> Verdict {
    verify_from(GENESIS, 1, entries)
}

/// [`verify`] for a part of the chain that continues after the entry with
/// hash `prev_hash`: the first entry must be sequence `first_seq`. (The
/// store verifies a long log page by page.)
pub fn verify_from<'a>(
    prev_hash: &str,
    first_seq: i64,
    entries: impl IntoIterator<Item = (Hashed<'a>, &'a str)>,
) -> Verdict {
    let mut prev = prev_hash.to_owned();
    let mut count = 0;
    let mut head = None;
    for (expected_seq, (entry, stored_hash)) in (first_seq..).zip(entries) {
        if entry.seq != expected_seq {
            return Verdict::Broken {
                seq: entry.seq,
                problem: Problem::Gap,
            };
        }
        if entry.hash() != stored_hash {
            return Verdict::Broken {
                seq: entry.seq,
                problem: Problem::Edited,
            };
        }
        if entry.prev_hash != prev {
            return Verdict::Broken {
                seq: entry.seq,
                problem: Problem::Unlinked,
            };
        }
        prev = stored_hash.to_owned();
        head = Some((entry.seq, prev.clone()));
        count += 1;
    }
    Verdict::Intact {
        entries: count,
        head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        seq: i64,
        at: i64,
        fields: Vec<Option<String>>,
        prev: String,
        hash: String,
    }

    impl Row {
        fn hashed(&self) -> Hashed<'_> {
            let mut fields = [None; FIELDS];
            for (slot, f) in fields.iter_mut().zip(&self.fields) {
                *slot = f.as_deref();
            }
            Hashed {
                seq: self.seq,
                at: self.at,
                fields,
                prev_hash: &self.prev,
            }
        }
    }

    fn chain(n: i64) -> Vec<Row> {
        let mut rows: Vec<Row> = Vec::new();
        for seq in 1..=n {
            let prev = rows
                .last()
                .map(|r| r.hash.clone())
                .unwrap_or(GENESIS.to_owned());
            let mut row = Row {
                seq,
                at: 1_796_000_000_000 + seq,
                fields: vec![
                    Some(format!("admin:{seq}")),
                    Some("catalog.write".into()),
                    None,
                    Some(String::new()),
                ],
                prev,
                hash: String::new(),
            };
            row.hash = row.hashed().hash();
            rows.push(row);
        }
        rows
    }

    fn check(rows: &[Row]) -> Verdict {
        verify(rows.iter().map(|r| (r.hashed(), r.hash.as_str())))
    }

    #[test]
    fn an_intact_chain_verifies_to_its_head() {
        let rows = chain(4);
        assert_eq!(
            check(&rows),
            Verdict::Intact {
                entries: 4,
                head: Some((4, rows[3].hash.clone()))
            }
        );
        assert_eq!(
            check(&[]),
            Verdict::Intact {
                entries: 0,
                head: None
            }
        );
    }

    #[test]
    fn an_edited_row_is_caught() {
        let mut rows = chain(4);
        rows[1].fields[1] = Some("catalog.delete".into());
        assert_eq!(
            check(&rows),
            Verdict::Broken {
                seq: 2,
                problem: Problem::Edited
            }
        );
    }

    #[test]
    fn a_null_turned_into_an_empty_string_is_an_edit() {
        let mut rows = chain(2);
        rows[0].fields[2] = Some(String::new());
        assert_eq!(
            check(&rows),
            Verdict::Broken {
                seq: 1,
                problem: Problem::Edited
            }
        );
    }

    #[test]
    fn an_edited_and_rehashed_row_breaks_the_next_link() {
        let mut rows = chain(4);
        rows[1].fields[0] = Some("admin:someone-else".into());
        rows[1].hash = rows[1].hashed().hash();
        assert_eq!(
            check(&rows),
            Verdict::Broken {
                seq: 3,
                problem: Problem::Unlinked
            }
        );
    }

    #[test]
    fn a_deleted_row_is_a_gap() {
        let mut rows = chain(4);
        rows.remove(2);
        assert_eq!(
            check(&rows),
            Verdict::Broken {
                seq: 4,
                problem: Problem::Gap
            }
        );
        let mut rows = chain(3);
        rows.remove(0);
        assert_eq!(
            check(&rows),
            Verdict::Broken {
                seq: 2,
                problem: Problem::Gap
            }
        );
    }

    #[test]
    fn field_boundaries_matter() {
        let a = Hashed {
            seq: 1,
            at: 0,
            fields: [
                Some("ab"),
                Some("c"),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ],
            prev_hash: GENESIS,
        };
        let b = Hashed {
            fields: [
                Some("a"),
                Some("bc"),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ],
            ..a.clone()
        };
        assert_ne!(a.hash(), b.hash());
    }
}
