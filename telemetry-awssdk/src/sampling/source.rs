//! Where the X-Ray sampling rules come from, and keeping them current.
//!
//! 1. `GetSamplingRules` (centralized rules, edited in the X-Ray console).
//!    While they are in use a background task reports each rule's counts
//!    every 10 s with `GetSamplingTargets` and installs the reservoir quota
//!    and rate X-Ray answers with; the rules themselves are re-read every
//!    5 minutes. This is what the X-Ray SDKs and daemon do.
//! 2. Otherwise a local rules file (`SHOP_XRAY_SAMPLING_RULES`), in the
//!    X-Ray SDKs' format (version 2):
//!    `{"version": 2, "rules": [{"description": "checkout", "host": "*",
//!    "http_method": "POST", "url_path": "/api/orders", "fixed_target": 1,
//!    "rate": 0.5}], "default": {"fixed_target": 1, "rate": 0.05}}`
//! 3. Otherwise X-Ray's default rule: 1 trace per second, then 5 %.
//!
//! moto (the lab's X-Ray) has no sampling-rule APIs (404), so locally the
//! file or the default rule applies; against AWS the API does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_xray::Client;
use aws_sdk_xray::types::SamplingStatisticsDocument;
use aws_smithy_types::DateTime;

use super::rules::{Reservoir, Rule, RuleStats};
use super::{RulesSource, XraySampler};

/// How often rule counts are reported and quotas renewed.
const TARGETS_INTERVAL: Duration = Duration::from_secs(10);
/// How often the rules are re-read.
const RULES_INTERVAL: Duration = Duration::from_secs(300);

/// Which sources to try (`SHOP_XRAY_SAMPLING_SOURCE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourcePreference {
    /// API, then file, then default.
    Auto,
    /// Only the API (start-up fails when it does not answer).
    Api,
    /// Only the file (or the default rule when no file is set).
    Local,
}

/// Loads the rules as described in the module docs.
pub async fn load(
    client: &Client,
    service: &str,
    preference: SourcePreference,
    file: Option<&str>,
    timeout: Duration,
) -> Result<(Vec<Rule>, RulesSource), String> {
    if preference != SourcePreference::Local {
        match tokio::time::timeout(timeout, rules_from_api(client)).await {
            Ok(Ok(rules)) if !rules.is_empty() => return Ok((rules, RulesSource::Api)),
            Ok(Ok(_)) if preference == SourcePreference::Api => {
                return Err("GetSamplingRules returned no rules".into());
            }
            Ok(Err(e)) if preference == SourcePreference::Api => {
                return Err(format!("GetSamplingRules failed: {e}"));
            }
            Err(_) if preference == SourcePreference::Api => {
                return Err(format!(
                    "GetSamplingRules did not answer within {timeout:?}"
                ));
            }
            _ => {}
        }
    }
    let _ = service;
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read sampling rules file {path}: {e}"))?;
            let rules = parse_rules_file(&text).map_err(|e| format!("{path}: {e}"))?;
            Ok((rules, RulesSource::File(path.to_owned())))
        }
        None => Ok((
            vec![Rule::catch_all("Default", 1, 0.05)],
            RulesSource::Default,
        )),
    }
}

async fn rules_from_api(client: &Client) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    let mut next = None;
    loop {
        let out = client
            .get_sampling_rules()
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| aws_sdk_xray::error::DisplayErrorContext(e).to_string())?;
        for record in out.sampling_rule_records() {
            let Some(r) = record.sampling_rule() else {
                continue;
            };
            // Version 1 is the only rule format X-Ray defines.
            if r.version() != 1 {
                continue;
            }
            let mut rule = Rule::catch_all(r.rule_name().unwrap_or("unnamed"), 1, r.fixed_rate());
            rule.priority = r.priority();
            rule.service_name = r.service_name().to_owned();
            rule.service_type = r.service_type().to_owned();
            rule.host = r.host().to_owned();
            rule.http_method = r.http_method().to_owned();
            rule.url_path = r.url_path().to_owned();
            rule.attributes = r
                .attributes()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            // Centralized reservoirs are shared by all instances: until X-Ray
            // assigns this one a quota, it borrows one trace per second.
            rule.reservoir = Reservoir::borrowing();
            rules.push(rule);
        }
        next = out.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    Ok(rules)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    version: u32,
    #[serde(default)]
    rules: Vec<FileRule>,
    default: FileTarget,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    http_method: Option<String>,
    #[serde(default)]
    url_path: Option<String>,
    fixed_target: u32,
    rate: f64,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTarget {
    fixed_target: u32,
    rate: f64,
}

/// Parses a local rules file (X-Ray SDK format, versions 1 and 2; rules
/// keep their file order, which is their priority).
pub fn parse_rules_file(text: &str) -> Result<Vec<Rule>, String> {
    let file: RulesFile =
        serde_json::from_str(text).map_err(|e| format!("invalid sampling rules: {e}"))?;
    if !(1..=2).contains(&file.version) {
        return Err(format!(
            "unsupported sampling rules version {}",
            file.version
        ));
    }
    let check_rate = |rate: f64, what: &str| {
        if (0.0..=1.0).contains(&rate) {
            Ok(rate)
        } else {
            Err(format!("{what}: rate {rate} is not within 0..=1"))
        }
    };
    let mut rules = Vec::with_capacity(file.rules.len() + 1);
    for (i, r) in file.rules.into_iter().enumerate() {
        let name = r.description.unwrap_or_else(|| format!("rule {}", i + 1));
        let mut rule = Rule::catch_all(&name, r.fixed_target, check_rate(r.rate, &name)?);
        rule.priority = i as i32 + 1;
        let star = |v: Option<String>| v.unwrap_or_else(|| "*".to_owned());
        rule.service_name = star(r.service_name);
        rule.host = star(r.host);
        rule.http_method = star(r.http_method);
        rule.url_path = star(r.url_path);
        rules.push(rule);
    }
    rules.push(Rule::catch_all(
        "Default",
        file.default.fixed_target,
        check_rate(file.default.rate, "default")?,
    ));
    Ok(rules)
}

/// Keeps centralized rules current: reports counts and installs quotas
/// every 10 s, re-reads the rules every 5 minutes. Runs until the process
/// ends (the calls are small and failures only keep the old rules).
pub async fn poll(client: Client, sampler: Arc<XraySampler>) {
    let client_id = format!("{:024x}", rand::random::<u128>() & ((1u128 << 96) - 1));
    let mut last_rules = Instant::now();
    loop {
        tokio::time::sleep(TARGETS_INTERVAL).await;
        if sampler.source() != RulesSource::Api {
            return;
        }
        if last_rules.elapsed() >= RULES_INTERVAL {
            if let Ok(rules) = rules_from_api(&client).await
                && !rules.is_empty()
            {
                sampler.replace_rules(rules, RulesSource::Api);
            }
            last_rules = Instant::now();
        }
        let _ = report_and_fetch_targets(&client, &sampler, &client_id).await;
    }
}

async fn report_and_fetch_targets(
    client: &Client,
    sampler: &XraySampler,
    client_id: &str,
) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    let rules = sampler.rules();
    let now = DateTime::from(SystemTime::now());
    let docs: Vec<SamplingStatisticsDocument> = rules
        .iter()
        .map(|r| {
            let RuleStats {
                requests,
                sampled,
                borrowed,
            } = &r.stats;
            SamplingStatisticsDocument::builder()
                .rule_name(&r.name)
                .client_id(client_id)
                .timestamp(now)
                .request_count(requests.swap(0, Relaxed) as i32)
                .sampled_count(sampled.swap(0, Relaxed) as i32)
                .borrow_count(borrowed.swap(0, Relaxed) as i32)
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let out = client
        .get_sampling_targets()
        .set_sampling_statistics_documents(Some(docs))
        .send()
        .await
        .map_err(|e| aws_sdk_xray::error::DisplayErrorContext(e).to_string())?;
    let by_name: HashMap<&str, &Arc<Rule>> = rules.iter().map(|r| (r.name.as_str(), r)).collect();
    for t in out.sampling_target_documents() {
        let Some(rule) = t.rule_name().and_then(|n| by_name.get(n)) else {
            continue;
        };
        if let (Some(quota), Some(ttl)) = (t.reservoir_quota(), t.reservoir_quota_ttl()) {
            let ttl_left = SystemTime::try_from(*ttl)
                .ok()
                .and_then(|t| t.duration_since(SystemTime::now()).ok())
                .unwrap_or_default();
            rule.reservoir
                .set_quota(quota.max(0) as u32, Instant::now() + ttl_left);
        }
        rule.set_fixed_rate(t.fixed_rate());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_files_parse_in_order_with_the_default_last() {
        let rules = parse_rules_file(
            r#"{"version": 2,
                "rules": [{"description": "checkout", "host": "*", "http_method": "POST",
                           "url_path": "/api/orders", "fixed_target": 2, "rate": 0.5}],
                "default": {"fixed_target": 1, "rate": 0.05}}"#,
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].name, "checkout");
        assert_eq!(rules[0].http_method, "POST");
        assert_eq!(rules[0].fixed_rate(), 0.5);
        assert_eq!(rules[1].name, "Default");
        assert!(rules[0].priority < rules[1].priority);
    }

    #[test]
    fn bad_rules_files_are_clear_errors() {
        for (text, needle) in [
            ("{", "invalid sampling rules"),
            (
                r#"{"version": 3, "default": {"fixed_target": 1, "rate": 0.1}}"#,
                "version 3",
            ),
            (
                r#"{"version": 2, "default": {"fixed_target": 1, "rate": 2}}"#,
                "rate 2",
            ),
            (r#"{"version": 2}"#, "missing field `default`"),
        ] {
            let err = parse_rules_file(text).err().unwrap();
            assert!(err.contains(needle), "{err}");
        }
    }
}
