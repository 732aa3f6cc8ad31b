//! X-Ray sampling: the first matching rule (by priority) decides, with a
//! *reservoir* (a fixed number of traces per second, always recorded) and
//! then a *fixed rate* (a share of the rest). The default rule records the
//! first request each second and 5 % of the others.
//!
//! | file | |
//! |---|---|
//! | this one | the contract's [`Sampler`]: upstream decision or the rules |
//! | [`rules`] | one rule: matching, reservoir, fixed rate |
//! | [`source`] | where rules come from (API, file, default) and the quota poller |
//! | `rate_tests` | binomial test of the fixed rate, exact count of the reservoir |
//!
//! Rules come from the X-Ray API (`GetSamplingRules`, with reservoir quotas
//! from `GetSamplingTargets`), else from a local rules file in the X-Ray
//! SDKs' format, else the default rule. An upstream `Sampled=1`/`Sampled=0`
//! is always honoured, with or without a `Parent` in the header; only
//! `Sampled=?` or no header lets the rules decide.

#[cfg(test)]
mod rate_tests;
pub mod rules;
pub mod source;

use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use telemetry_api::Sampler;
use telemetry_api::sampling::SamplingParams;

use crate::propagation::is_undecided;
pub use rules::Rule;

/// Where the rules came from (for logs and the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesSource {
    /// `GetSamplingRules` answered.
    Api,
    /// A local rules file.
    File(String),
    /// Neither: X-Ray's default rule.
    Default,
}

/// The X-Ray sampler: rules sorted by priority, swappable at run time when
/// the API sends new ones.
pub struct XraySampler {
    service: String,
    service_type: String,
    rules: RwLock<Arc<Vec<Arc<Rule>>>>,
    source: RwLock<RulesSource>,
}

impl XraySampler {
    /// `service_type` is the segments' `origin` (empty when not set).
    pub fn new(
        service: impl Into<String>,
        service_type: impl Into<String>,
        rules: Vec<Rule>,
        source: RulesSource,
    ) -> XraySampler {
        let s = XraySampler {
            service: service.into(),
            service_type: service_type.into(),
            rules: RwLock::new(Arc::new(Vec::new())),
            source: RwLock::new(RulesSource::Default),
        };
        s.replace_rules(rules, source);
        s
    }

    /// Replaces the rule set (sorted by priority, then name, as X-Ray does).
    pub fn replace_rules(&self, mut rules: Vec<Rule>, source: RulesSource) {
        rules.sort_by(|a, b| a.priority.cmp(&b.priority).then(a.name.cmp(&b.name)));
        *self.rules.write().unwrap_or_else(|e| e.into_inner()) =
            Arc::new(rules.into_iter().map(Arc::new).collect());
        *self.source.write().unwrap_or_else(|e| e.into_inner()) = source;
    }

    /// The current rules (for the targets poller).
    pub fn rules(&self) -> Arc<Vec<Arc<Rule>>> {
        self.rules.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn source(&self) -> RulesSource {
        self.source
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The rules' decision for a new trace (ignoring any upstream decision).
    pub fn decide(&self, params: &SamplingParams<'_>) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.decide_at(params, now, rand::random::<f64>)
    }

    /// [`decide`](Self::decide) with the clock and the random draw passed in,
    /// so a test can simulate seconds and use a seeded generator. `uniform`
    /// is called only when the reservoir is empty and must return a number
    /// in `[0, 1)`.
    fn decide_at(
        &self,
        params: &SamplingParams<'_>,
        now: u64,
        uniform: impl FnOnce() -> f64,
    ) -> bool {
        let rules = self.rules();
        let Some(rule) = rules
            .iter()
            .find(|r| r.matches(&self.service, &self.service_type, params))
        else {
            return false;
        };
        rule.stats.requests.fetch_add(1, Ordering::Relaxed);
        let sampled = match rule.reservoir.take(now) {
            Some(borrowed) => {
                if borrowed {
                    rule.stats.borrowed.fetch_add(1, Ordering::Relaxed);
                }
                true
            }
            None => uniform() < rule.fixed_rate(),
        };
        if sampled {
            rule.stats.sampled.fetch_add(1, Ordering::Relaxed);
        }
        sampled
    }
}

impl Sampler for XraySampler {
    fn should_sample(&self, params: &SamplingParams<'_>) -> bool {
        match params.remote_parent {
            Some(parent) if !is_undecided(parent) => parent.sampled,
            _ => self.decide(params),
        }
    }

    fn description(&self) -> String {
        let rules = self.rules();
        let list: Vec<String> = rules
            .iter()
            .map(|r| {
                format!(
                    "{}(reservoir={}/s, rate={})",
                    r.name,
                    r.reservoir.per_second,
                    r.fixed_rate()
                )
            })
            .collect();
        let source = match self.source() {
            RulesSource::Api => "api".to_owned(),
            RulesSource::File(f) => format!("file {f}"),
            RulesSource::Default => "default".to_owned(),
        };
        format!("XRayRules[{source}: {}]", list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_api::semconv;
    use telemetry_api::value::KeyValue;
    use telemetry_api::{SpanContext, SpanId, SpanKind, TraceId};

    fn params<'a>(attrs: &'a [KeyValue], parent: Option<&'a SpanContext>) -> SamplingParams<'a> {
        SamplingParams {
            remote_parent: parent,
            trace_id: TraceId(1),
            name: "GET /api/products",
            kind: SpanKind::Server,
            attributes: attrs,
        }
    }
    #[test]
    fn reservoir_then_fixed_rate_per_rule_in_priority_order() {
        let mut checkout = Rule::catch_all("checkout", 2, 0.0);
        checkout.priority = 1;
        checkout.url_path = "/api/orders".into();
        checkout.http_method = "POST".into();
        let s = XraySampler::new(
            "shop",
            "",
            vec![Rule::catch_all("Default", 0, 0.0), checkout],
            RulesSource::Default,
        );
        let post = [
            KeyValue::new(semconv::HTTP_REQUEST_METHOD, "POST"),
            KeyValue::new(semconv::URL_PATH, "/api/orders"),
        ];
        let get = [KeyValue::new(semconv::URL_PATH, "/api/products")];
        // Within one second the reservoir of 2 is taken, then the rate (0) applies.
        let decisions: Vec<bool> = (0..5).map(|_| s.decide(&params(&post, None))).collect();
        assert!(
            decisions.iter().filter(|d| **d).count() <= 2 + 1,
            "{decisions:?}"
        );
        assert!(decisions[0] && decisions[1]);
        assert!(
            !s.decide(&params(&get, None)),
            "the default rule samples nothing here"
        );
        let rules = s.rules();
        assert_eq!(rules[0].name, "checkout");
        assert_eq!(rules[0].stats.requests.load(Ordering::Relaxed), 5);
        assert_eq!(rules[1].stats.requests.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn fixed_rate_is_respected_and_upstream_decisions_win() {
        let s = XraySampler::new(
            "shop",
            "",
            vec![Rule::catch_all("Default", 0, 0.25)],
            RulesSource::Default,
        );
        let n = 40_000;
        let hits = (0..n).filter(|_| s.decide(&params(&[], None))).count();
        let share = hits as f64 / n as f64;
        assert!((0.23..0.27).contains(&share), "{share}");

        let off = XraySampler::new(
            "shop",
            "",
            vec![Rule::catch_all("Default", 0, 0.0)],
            RulesSource::Default,
        );
        let yes = SpanContext::remote(TraceId(5), SpanId(5), true);
        assert!(off.should_sample(&params(&[], Some(&yes))));
        let mut undecided = SpanContext::remote(TraceId(5), SpanId(5), false);
        undecided.trace_state = Some(Arc::from("Sampled=?"));
        assert!(!off.should_sample(&params(&[], Some(&undecided))));
        let on = XraySampler::new(
            "shop",
            "",
            vec![Rule::catch_all("Default", 0, 1.0)],
            RulesSource::Default,
        );
        assert!(on.should_sample(&params(&[], Some(&undecided))));
        let no = SpanContext::remote(TraceId(5), SpanId(5), false);
        assert!(!on.should_sample(&params(&[], Some(&no))));
    }

    #[test]
    fn rules_can_match_the_origin() {
        let rules = || {
            vec![Rule::catch_all("Default", 0, 0.0), {
                let mut r = Rule::catch_all("ecs only", 0, 1.0);
                r.priority = 1;
                r.service_type = "AWS::ECS::*".into();
                r
            }]
        };
        let plain = XraySampler::new("shop", "", rules(), RulesSource::Default);
        let on_ecs = XraySampler::new("shop", "AWS::ECS::Container", rules(), RulesSource::Default);
        assert!(!plain.decide(&params(&[], None)));
        assert!(on_ecs.decide(&params(&[], None)));
    }
}
