//! The project's Logs Insights evaluator, shared by the test targets that check the saved queries
//! (terraform/modules/observability/queries, O-LOG-05): `awssdk` runs `queries/*.insights` over the
//! events the awssdk backend stored in LocalStack (`tests/awssdk/insights.rs`), `otel` runs
//! `queries/otel/*.insights` over the documents the collector's `awscloudwatchlogs` exporter would
//! write for the records the lab's collector delivered (`tests/otel/insights.rs`).
//!
//! LocalStack's Logs Insights runs only `fields`, `sort` and `limit` (docs/lab.md, gap
//! "logs-insights"). So the project evaluates the queries itself: [`Query::parse`] knows the part
//! of the query language the saved queries use (`fields`, `filter` with `=`, `!=`, `>`, `<`,
//! `ispresent()` and `and`, `stats` with `count(*)`, `min(…)`, `max(…)`, `avg(…)`, `sum(…)` and
//! `pct(…, n)` `as …` by one or more fields, `sort`, `limit`) and refuses anything else, and
//! [`Query::run`] applies it to events given as their timestamp and their discovered fields. A
//! saved query that used more would fail its syntax test before it reached an AWS account.
//!
//! Each test target includes this with `#[path = "../insights_eval/mod.rs"] mod insights_eval;`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::common::repo_root;

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Eq(String, Value),
    Ne(String, Value),
    Gt(String, f64),
    Lt(String, f64),
    Present(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Command {
    Fields(Vec<String>),
    Filter(Vec<Cond>),
    Stats {
        aggs: Vec<(Agg, String)>,
        by: Vec<String>,
    },
    Sort {
        field: String,
        descending: bool,
    },
    Limit(usize),
}

/// An aggregate of `stats`.
#[derive(Debug, Clone, PartialEq)]
enum Agg {
    Count,
    Min(String),
    Max(String),
    Avg(String),
    /// `sum(field)`: the numbers' sum (0 when the group has none).
    Sum(String),
    /// `pct(field, n)`: Logs Insights estimates it; here it is exact (nearest rank), which a
    /// test's few values make the same.
    Pct(String, f64),
}

impl Agg {
    fn parse(s: &str) -> Result<Agg, String> {
        let s = s.trim();
        if s == "count(*)" {
            return Ok(Agg::Count);
        }
        let inner = |prefix: &str| {
            s.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(')'))
                .map(field)
        };
        if let Some(args) = s.strip_prefix("pct(").and_then(|r| r.strip_suffix(')')) {
            let (f, n) = args
                .split_once(',')
                .ok_or_else(|| format!("pct without a percentile: {s:?}"))?;
            let n: f64 = n
                .trim()
                .parse()
                .map_err(|_| format!("pct's percentile: {s:?}"))?;
            if !(0.0..=100.0).contains(&n) {
                return Err(format!("pct's percentile is 0 to 100: {s:?}"));
            }
            return Ok(Agg::Pct(field(f)?, n));
        }
        if let Some(f) = inner("sum(") {
            return Ok(Agg::Sum(f?));
        }
        match (inner("min("), inner("max("), inner("avg(")) {
            (Some(f), _, _) => Ok(Agg::Min(f?)),
            (_, Some(f), _) => Ok(Agg::Max(f?)),
            (_, _, Some(f)) => Ok(Agg::Avg(f?)),
            _ => Err(format!("unsupported aggregate: {s:?}")),
        }
    }

    fn of(&self, rows: &[&Map<String, Value>]) -> Value {
        let values = |f: &str| {
            rows.iter()
                .filter_map(|r| r.get(f))
                .cloned()
                .collect::<Vec<_>>()
        };
        match self {
            Agg::Count => json!(rows.len()),
            Agg::Min(f) => values(f)
                .into_iter()
                .min_by(|a, b| compare(Some(a), Some(b)))
                .unwrap_or(Value::Null),
            Agg::Max(f) => values(f)
                .into_iter()
                .max_by(|a, b| compare(Some(a), Some(b)))
                .unwrap_or(Value::Null),
            Agg::Avg(f) => {
                let xs: Vec<f64> = values(f).iter().filter_map(Value::as_f64).collect();
                if xs.is_empty() {
                    Value::Null
                } else {
                    json!(xs.iter().sum::<f64>() / xs.len() as f64)
                }
            }
            Agg::Sum(f) => {
                let total: f64 = values(f).iter().filter_map(Value::as_f64).sum();
                // Whole numbers stay integers, as Logs Insights shows a sum of integers.
                if total.fract() == 0.0 && total.abs() < 9.0e15 {
                    json!(total as i64)
                } else {
                    json!(total)
                }
            }
            Agg::Pct(f, n) => {
                let mut xs: Vec<f64> = values(f).iter().filter_map(Value::as_f64).collect();
                xs.sort_by(f64::total_cmp);
                // Nearest rank: the smallest value with at least n % of the values at or below it.
                let rank = ((n / 100.0) * xs.len() as f64).ceil().max(1.0) as usize;
                xs.get(rank - 1).map_or(Value::Null, |x| json!(x))
            }
        }
    }
}

/// A `stats` group: its `by` values, and its rows.
type Group<'a> = (Vec<Value>, Vec<&'a Map<String, Value>>);

/// A query of the supported subset.
#[derive(Debug, Clone, PartialEq)]
pub struct Query(Vec<Command>);

/// Splits on `sep` outside double quotes, backticks and parentheses (`pct(f, 99)` is one
/// aggregate).
fn split_outside(s: &str, sep: char) -> Vec<String> {
    let (mut parts, mut cur, mut quote) = (Vec::new(), String::new(), None::<char>);
    let mut depth = 0usize;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '`') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (None, '(') => {
                depth += 1;
                cur.push(c);
            }
            (None, ')') => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            (None, c) if c == sep && depth == 0 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts.into_iter().map(|p| p.trim().to_owned()).collect()
}

/// A field reference: `name`, `@timestamp` or `` `dotted.name` ``.
fn field(s: &str) -> Result<String, String> {
    let s = s.trim();
    let name = s
        .strip_prefix('`')
        .and_then(|r| r.strip_suffix('`'))
        .unwrap_or(s);
    let ok = !name.is_empty()
        && name.chars().enumerate().all(|(i, c)| {
            c.is_ascii_alphanumeric() || c == '_' || c == '.' || (i == 0 && c == '@')
        })
        && (s.starts_with('`') || !name.contains('.'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "not a field: {s:?} (a dotted name needs backticks)"
        ))
    }
}

fn literal(s: &str) -> Result<Value, String> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Ok(Value::String(inner.to_owned()));
    }
    s.parse::<f64>()
        .map(|n| json!(n))
        .map_err(|_| format!("not a literal: {s:?}"))
}

/// The first `op` in `s` outside double quotes and backticks: (left, right).
fn split_once_outside<'a>(s: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
    let mut quote = None::<char>;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '`') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, _) if s[i..].starts_with(op) => return Some((&s[..i], &s[i + op.len()..])),
            _ => {}
        }
    }
    None
}

fn condition(s: &str) -> Result<Cond, String> {
    let s = s.trim();
    if let Some(inner) = s
        .strip_prefix("ispresent(")
        .and_then(|r| r.strip_suffix(')'))
    {
        return Ok(Cond::Present(field(inner)?));
    }
    let number = |v: Value| {
        v.as_f64()
            .ok_or_else(|| format!("{s:?} compares with a number"))
    };
    if let Some((l, r)) = split_once_outside(s, "!=") {
        return Ok(Cond::Ne(field(l)?, literal(r)?));
    }
    if let Some((l, r)) = split_once_outside(s, ">") {
        return Ok(Cond::Gt(field(l)?, number(literal(r)?)?));
    }
    if let Some((l, r)) = split_once_outside(s, "<") {
        return Ok(Cond::Lt(field(l)?, number(literal(r)?)?));
    }
    if let Some((l, r)) = split_once_outside(s, "=") {
        return Ok(Cond::Eq(field(l)?, literal(r)?));
    }
    Err(format!("unsupported condition: {s:?}"))
}

impl Query {
    /// Parses `text`; an error names what the subset does not have.
    pub fn parse(text: &str) -> Result<Query, String> {
        let mut commands = Vec::new();
        for stage in split_outside(text.trim(), '|') {
            let (verb, rest) = stage.split_once(' ').unwrap_or((stage.as_str(), ""));
            let rest = rest.trim();
            commands.push(match verb {
                "fields" => Command::Fields(
                    split_outside(rest, ',')
                        .iter()
                        .map(|f| field(f))
                        .collect::<Result<_, _>>()?,
                ),
                "filter" => Command::Filter(
                    rest.split(" and ")
                        .map(condition)
                        .collect::<Result<_, _>>()?,
                ),
                "stats" => {
                    let (aggs, by) = rest
                        .split_once(" by ")
                        .ok_or_else(|| format!("stats without by: {stage:?}"))?;
                    let aggs = split_outside(aggs, ',')
                        .iter()
                        .map(|a| {
                            let (func, alias) = a
                                .split_once(" as ")
                                .ok_or_else(|| format!("stats without as: {stage:?}"))?;
                            Ok((Agg::parse(func)?, field(alias)?))
                        })
                        .collect::<Result<_, String>>()?;
                    Command::Stats {
                        aggs,
                        by: split_outside(by, ',')
                            .iter()
                            .map(|f| field(f))
                            .collect::<Result<_, _>>()?,
                    }
                }
                "sort" => {
                    let mut words = rest.split_whitespace();
                    let f = field(words.next().unwrap_or(""))?;
                    let descending = match words.next() {
                        Some("desc") => true,
                        Some("asc") | None => false,
                        Some(o) => return Err(format!("sort order {o:?}")),
                    };
                    Command::Sort {
                        field: f,
                        descending,
                    }
                }
                "limit" => Command::Limit(rest.parse().map_err(|_| format!("limit {rest:?}"))?),
                other => return Err(format!("unsupported command: {other:?}")),
            });
        }
        Ok(Query(commands))
    }

    /// Applies the query to `events` (`@timestamp` is the event's timestamp,
    /// the other fields the JSON line's keys).
    pub fn run(&self, events: &[(i64, Map<String, Value>)]) -> Vec<Map<String, Value>> {
        let mut rows: Vec<Map<String, Value>> = events
            .iter()
            .map(|(ts, m)| {
                let mut m = m.clone();
                m.insert("@timestamp".to_owned(), json!(ts));
                m
            })
            .collect();
        let mut shown: Option<Vec<String>> = None;
        for c in &self.0 {
            match c {
                Command::Fields(f) => shown = Some(f.clone()),
                Command::Filter(conds) => rows.retain(|r| conds.iter().all(|c| holds(c, r))),
                Command::Stats { aggs, by } => {
                    // Groups in the order of their keys' text, as a stable order before `sort`.
                    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
                    for r in &rows {
                        let key: Vec<Value> = by
                            .iter()
                            .map(|b| r.get(b).cloned().unwrap_or(Value::Null))
                            .collect();
                        groups
                            .entry(Value::from(key.clone()).to_string())
                            .or_insert((key, Vec::new()))
                            .1
                            .push(r);
                    }
                    let out = groups
                        .into_values()
                        .map(|(key, members)| {
                            let mut m: Map<String, Value> = by.iter().cloned().zip(key).collect();
                            for (agg, alias) in aggs {
                                m.insert(alias.clone(), agg.of(&members));
                            }
                            m
                        })
                        .collect();
                    rows = out;
                    shown = Some(
                        by.iter()
                            .chain(aggs.iter().map(|(_, a)| a))
                            .cloned()
                            .collect(),
                    );
                }
                Command::Sort { field, descending } => {
                    rows.sort_by(|a, b| {
                        let o = compare(a.get(field), b.get(field));
                        if *descending { o.reverse() } else { o }
                    });
                }
                Command::Limit(n) => rows.truncate(*n),
            }
        }
        match shown {
            Some(f) => rows
                .into_iter()
                .map(|r| {
                    f.iter()
                        .filter_map(|k| r.get(k).map(|v| (k.clone(), v.clone())))
                        .collect()
                })
                .collect(),
            None => rows,
        }
    }
}

fn holds(c: &Cond, r: &Map<String, Value>) -> bool {
    match c {
        Cond::Eq(f, v) => {
            r.get(f) == Some(v) || num(r.get(f)).zip(v.as_f64()).is_some_and(|(a, b)| a == b)
        }
        Cond::Ne(f, v) => r.get(f) != Some(v),
        Cond::Gt(f, n) => num(r.get(f)).is_some_and(|a| a > *n),
        Cond::Lt(f, n) => num(r.get(f)).is_some_and(|a| a < *n),
        Cond::Present(f) => r.get(f).is_some_and(|v| !v.is_null()),
    }
}

fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

/// The order of two field values as `sort` puts them: numbers by value, anything else (and a
/// number against a non-number) by its JSON text; a missing field first.
pub fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.map(Value::to_string).cmp(&b.map(Value::to_string)),
    }
}

/// The saved queries of `dir` (`queries` for the awssdk backend, `queries/otel` for the otel
/// one, under terraform/modules/observability), by name, as Terraform reads them (the files
/// directly in `dir`: `queries` does not take in `queries/otel`).
pub fn saved_queries(dir: &str) -> BTreeMap<String, String> {
    let dir = repo_root()
        .join("terraform/modules/observability")
        .join(dir);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "insights"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap().trim().to_owned(),
            )
        })
        .collect()
}
