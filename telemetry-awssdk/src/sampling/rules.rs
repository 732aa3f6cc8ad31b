//! One X-Ray sampling rule: what it matches (service, origin, host, method,
//! path, attributes, with X-Ray's wildcards), its *reservoir* (a fixed
//! number of traces per second, always recorded, or the quota X-Ray
//! assigns) and its *fixed rate* (a share of the rest).

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use telemetry_api::sampling::SamplingParams;
use telemetry_api::semconv;
use telemetry_api::value::Value;

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

    pub(super) fn matches(
        &self,
        service: &str,
        service_type: &str,
        params: &SamplingParams<'_>,
    ) -> bool {
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
    pub(super) per_second: u32,
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
    pub(super) fn take(&self, now_second: u64) -> Option<bool> {
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
