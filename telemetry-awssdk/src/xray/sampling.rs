//! X-Ray sampling rules: the first matching rule (by priority) decides, with
//! a *reservoir* (a fixed number of traces per second, always recorded) and
//! then a *fixed rate* (a share of the rest). The default rule records the
//! first request each second and 5 % of the others.
//!
//! Rules come from the X-Ray API (`GetSamplingRules`, with reservoir quotas
//! from `GetSamplingTargets`; see [`super::sampling_source`]), else from a
//! local rules file in the X-Ray SDKs' format, else the default rule. An
//! upstream `Sampled=1`/`Sampled=0` is always honoured; only `Sampled=?` or
//! no header lets the rules decide.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use telemetry_api::Sampler;
use telemetry_api::sampling::SamplingParams;
use telemetry_api::semconv;
use telemetry_api::value::Value;

use super::propagation::is_undecided;

/// One sampling rule (the fields of X-Ray's `SamplingRule` that a service
/// can match on; `*` and `?` are wildcards, matching is case-insensitive).
#[derive(Debug)]
pub struct Rule {
    pub name: String,
    /// Lower first; the default rule is 10000.
    pub priority: i32,
    pub service_name: String,
    pub service_type: String,
    pub host: String,
    pub http_method: String,
    pub url_path: String,
    /// Span attributes that must match (X-Ray rule `Attributes`).
    pub attributes: Vec<(String, String)>,
    /// Share of requests sampled once the reservoir is used up (f64 bits;
    /// X-Ray may change it at run time through `GetSamplingTargets`).
    fixed_rate: AtomicU64,
    /// Traces per second recorded before the fixed rate applies.
    pub reservoir: Reservoir,
    /// Counts since the last `GetSamplingTargets` report.
    pub stats: RuleStats,
}

impl Rule {
    /// A rule matching everything (the shape of X-Ray's `Default` rule).
    pub fn catch_all(name: &str, reservoir_per_second: u32, fixed_rate: f64) -> Rule {
        Rule {
            name: name.to_owned(),
            priority: 10000,
            service_name: "*".into(),
            service_type: "*".into(),
            host: "*".into(),
            http_method: "*".into(),
            url_path: "*".into(),
            attributes: Vec::new(),
            fixed_rate: AtomicU64::new(fixed_rate.to_bits()),
            reservoir: Reservoir::new(reservoir_per_second),
            stats: RuleStats::default(),
        }
    }

    pub fn fixed_rate(&self) -> f64 {
        f64::from_bits(self.fixed_rate.load(Ordering::Relaxed))
    }

    pub fn set_fixed_rate(&self, rate: f64) {
        self.fixed_rate
            .store(rate.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    fn matches(&self, service: &str, service_type: &str, params: &SamplingParams<'_>) -> bool {
        // Runs for every new trace: a `*` pattern (the usual case) matches
        // without looking the attribute up, and string values are compared
        // in place.
        let attr = |pattern: &str, key: &str| {
            if pattern == "*" {
                return true;
            }
            match telemetry_api::value::find(params.attributes, key) {
                Some(Value::Str(s)) => glob(pattern, s),
                Some(other) => glob(pattern, &other.to_string()),
                None => glob(pattern, ""),
            }
        };
        glob(&self.service_name, service)
            // The segment's origin (`AWS::ECS::Container`, …; empty for a plain process).
            && glob(&self.service_type, service_type)
            && attr(&self.host, semconv::SERVER_ADDRESS)
            && attr(&self.http_method, semconv::HTTP_REQUEST_METHOD)
            && attr(&self.url_path, semconv::URL_PATH)
            && self.attributes.iter().all(|(k, pattern)| attr(pattern, k))
    }
}

/// Requests seen, sampled and borrowed since the last report to X-Ray.
#[derive(Debug, Default)]
pub struct RuleStats {
    pub requests: AtomicU64,
    pub sampled: AtomicU64,
    pub borrowed: AtomicU64,
}

/// A per-second budget of traces. With centralized rules X-Ray assigns each
/// instance a *quota* for a while (`ReservoirQuotaTTL`); without one yet (or
/// after it expires) an instance may *borrow* one trace per second.
#[derive(Debug)]
pub struct Reservoir {
    /// Traces per second when no quota applies (local rules: the rule's
    /// `fixed_target`; centralized rules: 1, the borrow allowance).
    per_second: u32,
    /// `(quota, valid until)` from GetSamplingTargets.
    quota: RwLock<Option<(u32, Instant)>>,
    /// `second << 32 | taken`: the current second and how many were taken in it.
    state: AtomicU64,
    /// True for centralized rules, whose per-second budget is a borrow.
    borrowing: bool,
}

impl Reservoir {
    pub fn new(per_second: u32) -> Reservoir {
        Reservoir {
            per_second,
            quota: RwLock::new(None),
            state: AtomicU64::new(0),
            borrowing: false,
        }
    }

    /// For centralized rules: borrow 1/s until X-Ray assigns a quota.
    pub fn borrowing() -> Reservoir {
        Reservoir {
            borrowing: true,
            ..Reservoir::new(1)
        }
    }

    /// Installs a quota from `GetSamplingTargets`.
    pub fn set_quota(&self, quota: u32, until: Instant) {
        *self.quota.write().unwrap_or_else(|e| e.into_inner()) = Some((quota, until));
    }

    /// Takes one trace from this second's budget. Returns `Some(borrowed)`
    /// on success.
    fn take(&self, now_second: u64) -> Option<bool> {
        let (limit, borrowed) = match *self.quota.read().unwrap_or_else(|e| e.into_inner()) {
            Some((quota, until)) if Instant::now() < until => (quota, false),
            _ => (self.per_second, self.borrowing),
        };
        if limit == 0 {
            return None;
        }
        let mut cur = self.state.load(Ordering::Relaxed);
        loop {
            let (second, taken) = (cur >> 32, cur & 0xffff_ffff);
            let next = if second == now_second {
                if taken >= u64::from(limit) {
                    return None;
                }
                (second << 32) | (taken + 1)
            } else {
                (now_second << 32) | 1
            };
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Some(borrowed),
                Err(actual) => cur = actual,
            }
        }
    }
}

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
        let rules = self.rules();
        let Some(rule) = rules
            .iter()
            .find(|r| r.matches(&self.service, &self.service_type, params))
        else {
            return false;
        };
        rule.stats.requests.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let sampled = match rule.reservoir.take(now) {
            Some(borrowed) => {
                if borrowed {
                    rule.stats.borrowed.fetch_add(1, Ordering::Relaxed);
                }
                true
            }
            None => rand::random::<f64>() < rule.fixed_rate(),
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

/// X-Ray's wildcard match: `*` any run of characters, `?` exactly one;
/// case-insensitive. An empty value only matches `*` or an empty pattern.
pub fn glob(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let v: Vec<char> = value.to_lowercase().chars().collect();
    // Iterative matcher with backtracking to the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < v.len() {
        if i < p.len() && (p[i] == '?' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn glob_matches_like_xray() {
        assert!(glob("*", ""));
        assert!(glob("/api/*", "/api/products/1"));
        assert!(glob("/api/products/?", "/api/products/1"));
        assert!(!glob("/api/products/?", "/api/products/12"));
        assert!(glob("GET", "get"));
        assert!(glob("*orders*", "/api/orders/5"));
        assert!(!glob("/api/*", "/health"));
        assert!(!glob("", "x"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
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

    #[test]
    fn quotas_from_the_api_replace_the_borrow_allowance() {
        let r = Reservoir::borrowing();
        assert_eq!(r.take(100), Some(true));
        assert_eq!(r.take(100), None);
        r.set_quota(3, Instant::now() + std::time::Duration::from_secs(60));
        assert_eq!(r.take(101), Some(false));
        assert_eq!(r.take(101), Some(false));
        assert_eq!(r.take(101), Some(false));
        assert_eq!(r.take(101), None);
    }
}
