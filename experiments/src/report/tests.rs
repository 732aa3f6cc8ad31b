//! The report from synthetic results: sections, figures, charts, quick
//! mode, determinism.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::results::*;

fn spread(median: f64, min: f64, max: f64) -> Spread {
    Spread { median, min, max }
}

fn config(id: &str, backend: &str, sampling: f64) -> ConfigInfo {
    ConfigInfo {
        id: id.to_owned(),
        backend: backend.to_owned(),
        sampling,
        settings: BTreeMap::from([("batch".to_owned(), "50".to_owned())]),
        description: format!("{id} under test"),
    }
}

fn cdf(scale: f64) -> Vec<(f64, f64)> {
    [
        (0.0, 200.0),
        (0.5, 400.0),
        (0.9, 700.0),
        (0.99, 1500.0),
        (0.999, 4000.0),
        (1.0, 9000.0),
    ]
    .iter()
    .map(|(q, us)| (*q, us * scale))
    .collect()
}

fn process(name: &str, role: ProcessRole, cpu_s: f64) -> ProcessUsage {
    ProcessUsage {
        name: name.to_owned(),
        role,
        cpu_s,
        peak_rss_kib: 40_000,
        busy_cores: cpu_s / 10.0,
        cpus: if role == ProcessRole::Shop { "1" } else { "0" }.to_owned(),
    }
}

/// Three configs, both shapes, two repeats, fidelity and cost.
pub fn synthetic(mode: &str) -> Results {
    let ids = [("noop", 1.0), ("awssdk-100", 1.08), ("otel-100", 1.15)];
    let shapes = [
        Shape::Closed { concurrency: 16 },
        Shape::Open { rate: 200.0 },
    ];
    let mut runs = Vec::new();
    let mut overhead = Vec::new();
    for (id, scale) in ids {
        for shape in &shapes {
            let closed = matches!(shape, Shape::Closed { .. });
            let base = if closed { 812.0 / scale } else { 200.0 };
            for repeat in 0..2 {
                let mut processes = vec![
                    process("shop-orders", ProcessRole::Shop, 4.0 * scale),
                    process("localstack", ProcessRole::Sink, 1.0),
                ];
                if id == "otel-100" {
                    processes.push(process("rotel", ProcessRole::Pipeline, 0.8));
                }
                runs.push(LoadRun {
                    point: "split".to_owned(),
                    config: id.to_owned(),
                    shape: shape.clone(),
                    repeat,
                    duration_s: 10.0,
                    requests: (base * 10.0) as u64,
                    unexpected: if id == "otel-100" && closed && repeat == 1 {
                        2
                    } else {
                        0
                    },
                    throughput_rps: base + repeat as f64,
                    latency: Latency {
                        count: (base * 10.0) as u64,
                        mean_us: 500.0 * scale,
                        p50_us: 400.0 * scale,
                        p90_us: 700.0 * scale,
                        p99_us: 1500.0 * scale,
                        p999_us: 4000.0 * scale,
                        max_us: 9000.0 * scale,
                        cdf: cdf(scale),
                    },
                    processes,
                    stats: BTreeMap::new(),
                    wire: vec![],
                    late_sends: 0,
                    cpu_load: vec![],
                    loadgen_saturated: false,
                });
            }
            overhead.push(OverheadSummary {
                point: "split".to_owned(),
                config: id.to_owned(),
                shape: shape.clone(),
                repeats: 2,
                throughput_rps: spread(base, base - 10.0, base + 10.0),
                throughput_vs_noop: if closed { 1.0 / scale } else { 1.0 },
                p50_us: spread(400.0 * scale, 390.0 * scale, 410.0 * scale),
                p90_us: spread(700.0 * scale, 690.0, 720.0 * scale),
                p99_us: spread(1500.0 * scale, 1400.0, 1600.0 * scale),
                p999_us: spread(4000.0 * scale, 3900.0, 4100.0 * scale),
                added_p99_us: 1500.0 * (scale - 1.0),
                shop_cpu_s_per_1k: spread(0.5 * scale, 0.49, 0.6),
                pipeline_cpu_s_per_1k: if id == "otel-100" {
                    spread(0.1, 0.09, 0.11)
                } else {
                    Spread::default()
                },
                sink_cpu_s_per_1k: spread(0.12, 0.1, 0.13),
                shop_peak_rss_mib: spread(60.0, 59.0, 61.0),
                pipeline_peak_rss_mib: if id == "otel-100" {
                    spread(30.0, 30.0, 30.0)
                } else {
                    Spread::default()
                },
                busiest_sink: "localstack".to_owned(),
                busiest_sink_cores: if id == "awssdk-100" && closed {
                    0.93
                } else {
                    0.2
                },
                cdf: cdf(scale),
                // As in results written before paired estimates: the report falls back to medians.
                throughput_ratio: None,
                added_p99: None,
                shop_cpu_us_added: None,
                pipeline_cpu_us: None,
            });
        }
    }
    let check = |signal: &str, name: &str, passed: u64, total: u64| Check {
        signal: signal.to_owned(),
        name: name.to_owned(),
        passed,
        total,
        failures: if passed < total {
            vec!["trace 1-abc: missing span `GET /api/products`".to_owned()]
        } else {
            vec![]
        },
        gap: None,
    };
    let mut fidelity = Vec::new();
    for id in ["awssdk-100", "otel-100"] {
        let mut attrs = check("traces", "attributes survive (method, route)", 1000, 1000);
        if id == "awssdk-100" {
            attrs.passed = 990;
            attrs.failures = vec!["trace 1-abc: attribute <x> missing | in metadata".to_owned()];
            attrs.gap = Some("moto keeps no metadata".to_owned());
        }
        fidelity.push(Fidelity {
            config: id.to_owned(),
            load: "nominal".to_owned(),
            requests: 1000,
            traces_expected: 1000,
            traces_arrived: 1000,
            checks: vec![
                check("traces", "sampled traces arrived", 1000, 1000),
                attrs,
                check("metrics", "histogram counts exact", 12, 12),
            ],
            loss: BTreeMap::new(),
            picture: None,
            into_xray: if id == "otel-100" {
                vec![
                    check("traces", "sampled traces arrived", 1000, 1000),
                    check(
                        "traces",
                        "attributes survive (method, route, status, product id, SQL)",
                        120,
                        1000,
                    ),
                ]
            } else {
                Vec::new()
            },
        });
        fidelity.push(Fidelity {
            config: id.to_owned(),
            load: "outage".to_owned(),
            requests: 1000,
            traces_expected: 1000,
            traces_arrived: 700,
            checks: vec![check(
                "loss",
                "received = sent + dropped (backend counters)",
                3,
                3,
            )],
            loss: BTreeMap::from([
                (
                    "spans".to_owned(),
                    LossAccount {
                        reported_dropped: 300,
                        measured_missing: 300,
                        ..Default::default()
                    },
                ),
                (
                    "logs".to_owned(),
                    LossAccount {
                        reported_dropped: 10,
                        measured_missing: 12,
                        ..Default::default()
                    },
                ),
            ]),
            picture: None,
            into_xray: Vec::new(),
        });
    }
    let cost = vec![
        Cost {
            config: "awssdk-100".to_owned(),
            requests: 1000,
            per_request: BTreeMap::from([
                (
                    "spans".to_owned(),
                    PerRequest {
                        api_calls: 0.02,
                        bytes: 1200.0,
                    },
                ),
                (
                    "logs".to_owned(),
                    PerRequest {
                        api_calls: 0.01,
                        bytes: 300.0,
                    },
                ),
            ]),
            wire_per_request: BTreeMap::from([
                (
                    "xray".to_owned(),
                    PerRequest {
                        api_calls: 0.02,
                        bytes: 1200.0,
                    },
                ),
                (
                    "logs".to_owned(),
                    PerRequest {
                        api_calls: 0.015,
                        bytes: 300.0,
                    },
                ),
            ]),
            items: vec![
                CostItem {
                    item: "X-Ray traces recorded".to_owned(),
                    quantity: 1e6,
                    unit: "traces".to_owned(),
                    usd: 5.0,
                    fixed_monthly: false,
                    measured: None,
                    note: None,
                },
                CostItem {
                    item: "log ingestion".to_owned(),
                    quantity: 0.3,
                    unit: "GB".to_owned(),
                    usd: 0.15,
                    fixed_monthly: false,
                    measured: None,
                    note: None,
                },
            ],
            total_usd_per_million: 5.15,
            at_rates: vec![],
            prices_source: "experiments/prices.toml: us-east-1 list prices retrieved 2026-01-01"
                .to_owned(),
        },
        Cost {
            config: "otel-100".to_owned(),
            requests: 1000,
            per_request: BTreeMap::from([(
                "spans".to_owned(),
                PerRequest {
                    api_calls: 0.004,
                    bytes: 900.0,
                },
            )]),
            wire_per_request: BTreeMap::from([(
                "otlp".to_owned(),
                PerRequest {
                    api_calls: 0.002,
                    bytes: 800.0,
                },
            )]),
            items: vec![CostItem {
                item: "X-Ray traces recorded".to_owned(),
                quantity: 1e6,
                unit: "traces".to_owned(),
                usd: 5.0,
                fixed_monthly: false,
                measured: None,
                note: None,
            }],
            total_usd_per_million: 5.0,
            at_rates: vec![],
            prices_source: "experiments/prices.toml: us-east-1 list prices retrieved 2026-01-01"
                .to_owned(),
        },
    ];
    Results {
        meta: Meta {
            generated_at: "2026-05-01T12:00:00Z".to_owned(),
            mode: mode.to_owned(),
            seed: 42,
            duration_s: 600.0,
            machine: Machine {
                cpu_model: "Test CPU @ 2.0GHz".to_owned(),
                cores: 2,
                memory_gib: 7.7,
                kernel: "6.1.0".to_owned(),
                os: "Debian 13".to_owned(),
            },
            versions: BTreeMap::from([("rustc".to_owned(), "1.95.0".to_owned())]),
            plan: Plan {
                configs: vec![
                    config("noop", "noop", 0.0),
                    config("awssdk-100", "awssdk", 1.0),
                    config("otel-100", "otel", 1.0),
                ],
                open_rates: vec![200.0],
                open_duration_s: 15.0,
                closed_concurrency: 16,
                closed_duration_s: 15.0,
                warmup_s: 3.0,
                repeats: 2,
                fidelity_rate: 50.0,
                fidelity_duration_s: 20.0,
                outage_s: 8.0,
                arrivals: String::new(),
                mix: BTreeMap::from([("browse".to_owned(), 0.6), ("checkout".to_owned(), 0.4)]),
                session_mix: BTreeMap::from([
                    ("browse".to_owned(), 0.7),
                    ("signed-in".to_owned(), 0.3),
                ]),
                customers: 16,
                expected_4xx_share: 0.05,
                expected_5xx_share: 0.01,
                pinning: BTreeMap::from([
                    ("shop".to_owned(), "0".to_owned()),
                    ("sinks".to_owned(), "1".to_owned()),
                ]),
                points: vec![],
            },
            commands: vec!["cargo run -p shop-experiments -- run --mode full".to_owned()],
            profile: "release".to_owned(),
            commit: "v0.1.0-3-gabcdef".to_owned(),
        },
        runs,
        overhead,
        fidelity,
        cost,
        saturation: vec![],
        tail: vec![crate::tail::TailRow {
            strategy: "head 5 % (in the shop)".into(),
            config: "otel-5".into(),
            requests: 400,
            faults: 10,
            faults_kept: 1,
            slow: 8,
            slow_kept: 0,
            rest: 382,
            rest_kept: 19,
            traces_kept: 20,
            spans_kept: 120,
            egress_bytes: 90_000,
            egress_calls: 12,
            collector_cpu_us_per_request: 12.0,
            collector_peak_rss_mib: 60.0,
            shop_cpu_us_per_request: 80.0,
        }],
        async_hops: Vec::new(),
        lambda: Default::default(),
        browser: Vec::new(),
    }
}

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "shop-report-{tag}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn render(results: &Results, dir: &Path, criterion: Option<&Path>) -> String {
    let md = dir.join("REPORT.md");
    super::write(results, &md, &dir.join("report"), criterion).unwrap();
    std::fs::read_to_string(md).unwrap()
}

/// Every `![..](target)` image target in the report.
fn images(md: &str) -> Vec<String> {
    md.match_indices("](")
        .filter(|(i, _)| {
            md[..*i]
                .rfind("![")
                .is_some_and(|s| !md[s..*i].contains('\n'))
        })
        .filter_map(|(i, _)| md[i + 2..].split(')').next().map(str::to_owned))
        .collect()
}

#[test]
fn the_report_has_every_section_config_and_figure() {
    let dir = TempDir::new("full");
    let md = render(&synthetic("full"), &dir.0, None);
    assert!(md.starts_with("<!-- generated by shop-experiments; do not edit -->"));
    for heading in [
        "## Summary",
        "### Targets (docs/targets.md)",
        "## Method",
        "### Scenario mix",
        "## Machine and versions",
        "## Overhead",
        "### closed×16 (saturation)",
        "### open@200/s",
        "### Did a sink limit the run?",
        "## Fidelity",
        "### Loss under a sink outage",
        "## Cost",
        "## Microbenchmarks",
        "## Discussion",
        "## Reproduce",
    ] {
        assert!(md.contains(heading), "missing {heading}");
    }
    // The backends' one difference in reading the same header is stated.
    assert!(md.contains("**Where the backends read the same header differently.**"));
    assert!(md.contains("a `Root` and no `Parent`. awssdk continues that trace"));
    for id in ["noop", "awssdk-100", "otel-100"] {
        assert!(md.contains(&format!("| {id} |")), "no table row for {id}");
    }
    assert!(!md.contains("Quick mode"));
    // The session kinds with their shares, and the lab customers of the signed-in sessions.
    assert!(
        md.contains("Sessions of a seeded generator (browse 70.0 %, signed-in 30.0 %)"),
        "{md}"
    );
    assert!(md.contains("one of 16 lab customers"));
    // 812 / 1.08 = 751.85… req/s, spread ±10, vs noop 1 / 1.08.
    let row = md
        .lines()
        .find(|l| l.starts_with("| awssdk-100 | 752 <sub>(742–762)</sub> | 92.6 % |"))
        .unwrap_or_else(|| panic!("no awssdk-100 saturation row in\n{md}"));
    // p99 1.62 ms, +0.120 ms over noop, the pipeline columns empty.
    assert!(
        row.contains("| 1.62 <sub>(1.40–1.73)</sub> |") && row.contains("| +0.120 ms |"),
        "{row}"
    );
    assert!(row.ends_with("| – |"), "{row}");
    // Targets: 92.6 % < 95 % fails; added p99 at half load passes.
    assert!(md.contains(
        "| throughput at saturation ≥ 95 % of noop (100 % sampling) | awssdk-100 | 92.6 % | ❌ |"
    ));
    assert!(
        md.contains("| added p99 ≤ 0.5 ms at half load (open@200/s) | otel-100 | +0.225 ms | ✅ |")
    );
    assert!(md.contains("open@200/s (24.6 % of noop's saturation throughput"));
    // Fidelity cells, gaps, failures (escaped), loss verdicts.
    assert!(md.contains("| traces | attributes survive (method, route) | **990/1000 (99.0 %)** ❌ | – | moto keeps no metadata |"));
    assert!(md.contains("attribute &lt;x&gt; missing \\| in metadata"));
    assert!(
        md.contains("| awssdk-100 | outage | logs | 10 | 12 | ❌ 2 lost without being counted |")
    );
    // Cost: totals and the flagged wire mismatch (0.03 → 0.035 calls per request).
    assert!(md.contains("**$5.15**") && md.contains("$0.150 <sub>0.300 GB</sub>"));
    assert!(md.contains("**0.0350** ⚠️ +16.7 %"));
    assert!(md.contains("retrieved 2026-01-01"));
    assert!(md.contains("run `make bench` to include them"));
    assert!(md.contains("cargo run -p shop-experiments -- run --mode full"));
    assert!(md.contains("[`results.json`](report/results.json)"));
    assert!(md.contains("localstack 0.930 cores ⚠️"));

    let imgs = images(&md);
    assert_eq!(imgs.len(), 4, "{imgs:?}");
    for img in &imgs {
        assert!(img.starts_with("report/") && img.ends_with(".svg"), "{img}");
        let svg = std::fs::read_to_string(dir.0.join(img)).unwrap();
        assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{img}");
        assert!(
            svg.contains("viewBox=") && svg.trim_end().ends_with("</svg>"),
            "{img}"
        );
        assert!(!svg.contains("<script"), "{img}");
        assert_eq!(
            svg.matches("<text").count(),
            svg.matches("</text>").count(),
            "{img}"
        );
        let configs: &[&str] = if img.contains("cost") {
            &["awssdk-100", "otel-100"]
        } else {
            &["noop", "awssdk-100", "otel-100"]
        };
        for id in configs {
            assert!(svg.contains(id), "{img} has no {id}");
        }
    }
    assert!(imgs.iter().any(|i| i.ends_with("latency-closed-16.svg")));
    assert!(imgs.iter().any(|i| i.ends_with("latency-open-200-s.svg")));
}

#[test]
fn quick_mode_warns_that_overhead_means_nothing() {
    let dir = TempDir::new("quick");
    let mut r = synthetic("quick");
    r.meta.plan.closed_duration_s = 3.0;
    let md = render(&r, &dir.0, None);
    assert!(md.contains("> [!WARNING]"));
    assert!(md.contains("**Quick mode.** The load runs last 3 s (saturation)"));
    assert!(md.contains("Fidelity (what arrived against what was sent) is still meaningful"));
}

#[test]
fn rendering_twice_gives_identical_files() {
    let (a, b) = (TempDir::new("det-a"), TempDir::new("det-b"));
    let r = synthetic("full");
    render(&r, &a.0, None);
    render(&r, &b.0, None);
    let mut files: Vec<PathBuf> = std::fs::read_dir(a.0.join("report"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4);
    files.push(a.0.join("REPORT.md"));
    for f in files {
        let rel = f.strip_prefix(&a.0).unwrap();
        assert_eq!(
            std::fs::read(&f).unwrap(),
            std::fs::read(b.0.join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
}

#[test]
fn criterion_results_fill_the_microbenchmark_table() {
    let dir = TempDir::new("bench");
    let crit = dir.0.join("criterion");
    let bench = |path: &str, full_id: &str, median: f64| {
        let d = crit.join(path).join("new");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("benchmark.json"),
            format!(r#"{{"group_id":"span","function_id":null,"value_str":null,"throughput":null,"full_id":"{full_id}","directory_name":"{path}","title":"{full_id}"}}"#),
        )
        .unwrap();
        std::fs::write(
            d.join("estimates.json"),
            format!(r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0}},"point_estimate":1.5,"standard_error":0.1}},"median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{median},"standard_error":0.4}}}}"#, median - 1.0, median + 1.0),
        )
        .unwrap();
    };
    bench(
        "span/start_3_attributes_end_sampled",
        "span/start_3_attributes_end/sampled",
        281.5,
    );
    bench(
        "span/start_3_attributes_end/unsampled/2",
        "span/start_3_attributes_end/unsampled/2",
        612.0,
    );
    bench(
        "request/unsampled/awssdk",
        "request/unsampled/awssdk",
        1500.0,
    );
    bench("request/unsampled/otel", "request/unsampled/otel", 2400.0);
    bench(
        "propagation_traceparent_inject",
        "propagation/traceparent_inject",
        80.25,
    );
    // The previous run's copy is not a result of its own.
    std::fs::create_dir_all(crit.join("propagation_traceparent_inject/base")).unwrap();
    let out = dir.0.join("out");
    let md = render(&synthetic("full"), &out, Some(&crit));
    assert!(
        md.contains("| `propagation/traceparent_inject` | 80.2 ns | 79.2–81.2 ns (95 %) |  |"),
        "{md}"
    );
    assert!(
        md.contains("| `span/start_3_attributes_end/sampled` | 282 ns | 280–282 ns (95 %) | ✅ |")
    );
    assert!(md.contains(
        "| `span/start_3_attributes_end/unsampled/2` | 612 ns | 611–613 ns (95 %) | ❌ |"
    ));
    assert!(md.contains("| a span (start, 3 attributes, end) ≤ 300 ns | `span/start_3_attributes_end/sampled` | 282 ns | ✅ |"));
    assert!(md.contains(
        "| an unsampled request's telemetry ≤ 2000 ns | `request/unsampled/awssdk` | 1500 ns | ✅ |"
    ));
    assert!(md.contains(
        "| an unsampled request's telemetry ≤ 2000 ns | `request/unsampled/otel` | 2400 ns | ❌ |"
    ));
    assert!(md.contains("| `request/unsampled/otel` | 2400 ns | 2399–2401 ns (95 %) | ❌ |"));
    assert!(!md.contains("run `make bench` to include them"));
}

#[test]
fn empty_results_still_render_and_leave_no_stale_chart() {
    let dir = TempDir::new("empty");
    render(&synthetic("full"), &dir.0, None);
    std::fs::write(dir.0.join("report/results.json"), "{}").unwrap();
    let md = render(&Results::default(), &dir.0, None);
    let left: Vec<String> = std::fs::read_dir(dir.0.join("report"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["results.json"]);
    assert!(md.contains("No overhead runs in these results."));
    assert!(md.contains("No fidelity runs in these results."));
    assert!(md.contains("No cost entries in these results."));
}

#[test]
fn links_are_relative_to_the_report() {
    let dir = TempDir::new("rel");
    std::fs::create_dir_all(dir.0.join("a/b")).unwrap();
    std::fs::create_dir_all(dir.0.join("c")).unwrap();
    assert_eq!(
        super::relative_link(&dir.0.join("a/b"), &dir.0.join("c")).unwrap(),
        "../../c"
    );
    assert_eq!(super::relative_link(&dir.0, &dir.0).unwrap(), ".");
    assert_eq!(super::relative_link(&dir.0, &dir.0.join("c")).unwrap(), "c");
}

#[test]
fn a_check_with_nothing_to_check_shows_n_a() {
    let dir = TempDir::new("na");
    let mut r = synthetic("full");
    let empty = |name: &str| Check {
        signal: "traces".to_owned(),
        name: name.to_owned(),
        passed: 0,
        total: 0,
        failures: vec![],
        gap: None,
    };
    // Every config samples every trace: nothing unsampled to look for.
    for f in r.fidelity.iter_mut().filter(|f| f.load == "nominal") {
        f.checks.push(empty("unsampled traces absent"));
    }
    // And otel-100's nominal run checked nothing at all.
    let otel = r
        .fidelity
        .iter_mut()
        .find(|f| f.config == "otel-100" && f.load == "nominal")
        .unwrap();
    otel.checks = vec![
        empty("sampled traces arrived"),
        empty("unsampled traces absent"),
    ];
    let md = render(&r, &dir.0, None);
    assert!(
        md.contains("| traces | unsampled traces absent | 0/0 (n/a) | – | – |"),
        "{md}"
    );
    assert!(!md.contains("0/0 (100.0 %)"));
    // Neither a pass nor a failure: awssdk's lowest check is still the attributes…
    assert!(md.contains(
        "fidelity **99.0 %** at nominal load (lowest check: traces · attributes survive (method, route))"
    ));
    assert!(md.contains("| fidelity 100 % at nominal load (every check) | awssdk-100 | 99.0 % (lowest: attributes survive (method, route)) | ❌ |"));
    // …and a run that checked nothing is n/a, which does not meet the target.
    assert!(md.contains("- **otel-100**: "));
    assert!(md.contains("fidelity **n/a** at nominal load (nothing was checked)"));
    assert!(md.contains(
        "| fidelity 100 % at nominal load (every check) | otel-100 | n/a (nothing checked) | ❌ |"
    ));
    assert!(!crate::runner::verdict(&r));
}

/// The synthetic results with their overhead summarised the way a run
/// summarises it (paired per repeat), keeping only `repeats` repeats.
fn paired(repeats: usize) -> Results {
    let mut r = synthetic("full");
    r.runs.retain(|run| run.repeat < repeats);
    r.overhead = crate::runner::summarise(&r.runs);
    r
}

#[test]
fn paired_estimates_render_with_intervals_and_three_way_verdicts() {
    let dir = TempDir::new("paired");
    let md = render(&paired(2), &dir.0, None);
    // Repeat i of awssdk-100 against repeat i of noop at saturation:
    // 751.85/812 and 752.85/813, both 92.6 %: the interval is as narrow, and under 95 %.
    assert!(
        md.contains("| throughput at saturation ≥ 95 % of noop (100 % sampling) | awssdk-100 | 92.6 % <sub>[92.6 %–92.6 %]</sub> | ❌ missed |"),
        "{md}"
    );
    // p99 1620 µs against 1500 µs in both repeats: +0.120 ms, under 0.5 ms.
    assert!(md.contains(
        "| added p99 ≤ 0.5 ms at half load (open@200/s) | awssdk-100 | +0.120 ms <sub>[+0.120 ms–+0.120 ms]</sub> | ✅ met |"
    ));
    // The headline: shop CPU 4.32 s over 7 518 requests against noop's 4 s over
    // 8 120 (574.6 − 492.6 = 82.0 µs); otel's collector 0.8 s over 7 060 requests = 113 µs.
    assert!(md.contains("### CPU added per request (µs) on the shop's cores"));
    // T-CPU: 82.0 µs added, far over 10 µs, in both repeats.
    assert!(md.contains(
        "| CPU added per request ≤ 10 µs on the shop's cores, at saturation | awssdk-100 | 82.0 µs <sub>[82.0 µs–82.0 µs]</sub> | ❌ missed |"
    ));
    assert!(md.contains("| awssdk-100 | closed×16 | 82.0 <sub>[82.0–82.0]</sub> | – |"));
    assert!(md.contains(
        "| otel-100 | closed×16 | 159 <sub>[159–159]</sub> | 113 <sub>[113–113]</sub> |"
    ));
    // The overhead table shows the paired ratio with its interval.
    assert!(
        md.contains(
            "| awssdk-100 | 752 <sub>(752–753)</sub> | 92.6 % <sub>[92.6 %–92.6 %]</sub> |"
        )
    );
}

#[test]
fn one_repeat_has_no_interval_so_its_verdicts_are_undetermined() {
    let dir = TempDir::new("one-repeat");
    let md = render(&paired(1), &dir.0, None);
    assert!(md.contains(
        "| throughput at saturation ≥ 95 % of noop (100 % sampling) | awssdk-100 | 92.6 % <sub>(n=1, no interval)</sub> | ❔ undetermined |"
    ));
    assert!(md.contains("| awssdk-100 | closed×16 | 82.0 <sub>(n=1, no interval)</sub> | – |"));
}

#[test]
fn results_written_before_paired_estimates_still_load() {
    let mut json = serde_json::to_value(synthetic("full")).unwrap();
    for ov in json["overhead"].as_array_mut().unwrap() {
        let ov = ov.as_object_mut().unwrap();
        for key in [
            "throughput_ratio",
            "added_p99",
            "shop_cpu_us_added",
            "pipeline_cpu_us",
        ] {
            assert!(ov.remove(key).is_some(), "{key}");
        }
    }
    let r: Results = serde_json::from_value(json).unwrap();
    assert!(r.overhead.iter().all(|o| o.throughput_ratio.is_none()));
    // And the committed results, whatever their age, still render.
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../report/results.json");
    if let Ok(text) = std::fs::read_to_string(&committed) {
        let r: Results = serde_json::from_str(&text).unwrap();
        let dir = TempDir::new("committed");
        assert!(render(&r, &dir.0, None).contains("## Summary"));
    }
}

/// The paired synthetic results at two operating points: `split` as
/// measured, and `embedded` serving 20 times as many requests on the same
/// shop CPU (so every per-request CPU figure is a twentieth), with a load
/// generator and per-CPU figures recorded, one run flagged.
fn two_points() -> Results {
    let mut r = paired(2);
    let mut embedded: Vec<LoadRun> = r.runs.clone();
    for run in &mut embedded {
        run.point = "embedded".to_owned();
        run.requests *= 20;
        run.throughput_rps *= 20.0;
        run.shape = match run.shape {
            Shape::Open { rate } => Shape::Open { rate: rate * 20.0 },
            ref closed => closed.clone(),
        };
    }
    r.runs.extend(embedded);
    for run in &mut r.runs {
        run.processes.push(ProcessUsage {
            name: "loadgen".to_owned(),
            role: ProcessRole::Loadgen,
            cpu_s: 1.0,
            peak_rss_kib: 1,
            busy_cores: 0.1,
            cpus: "0".to_owned(),
        });
        let busy = if run.point == "embedded" && run.config == "otel-100" && run.repeat == 1 {
            0.93
        } else {
            0.5
        };
        run.cpu_load = vec![
            CpuLoad {
                cpu: 0,
                busy,
                steal: 0.02,
            },
            CpuLoad {
                cpu: 1,
                busy: 0.99,
                steal: 0.04,
            },
        ];
        run.loadgen_saturated = run.loadgen_busy().is_some_and(|b| b > LOADGEN_BUSY_LIMIT);
        if run.config == "otel-100" {
            run.stats.insert(
                "spans".to_owned(),
                SignalStats {
                    api_calls: run.requests / 100,
                    ..Default::default()
                },
            );
        }
    }
    for c in &mut r.meta.plan.configs {
        if c.id == "otel-100" {
            c.settings = BTreeMap::from([
                ("protocol".to_owned(), "http/protobuf".to_owned()),
                ("span batch".to_owned(), "512".to_owned()),
            ]);
        }
    }
    r.meta.plan.points = vec!["embedded".to_owned(), "split".to_owned()];
    r.meta.plan.pinning = crate::runner::pinning_read_back(&r.runs);
    r.overhead = crate::runner::summarise(&r.runs);
    r
}

#[test]
fn pairs_are_made_within_an_operating_point() {
    let r = two_points();
    let at = |point: &str, config: &str| {
        r.overhead
            .iter()
            .find(|o| o.point == point && o.config == config && o.shape == r.runs[0].shape)
            .unwrap()
    };
    let split = at("split", "awssdk-100").shop_cpu_us_added.unwrap();
    let embedded = at("embedded", "awssdk-100").shop_cpu_us_added.unwrap();
    assert!((split.median - 82.0).abs() < 0.1, "{split:?}");
    // The same shop CPU over 20 times the requests: a twentieth, paired with embedded's noop.
    assert!(
        (embedded.median - split.median / 20.0).abs() < 0.01,
        "{embedded:?}"
    );
    assert_eq!(embedded.n, 2);
}

#[test]
fn the_headline_has_one_row_per_point_and_config_with_its_t_cpu_verdict() {
    let dir = TempDir::new("points");
    let md = render(&two_points(), &dir.0, None);
    assert!(
        md.contains("### Per operating point: what each backend adds"),
        "{md}"
    );
    assert!(md.contains(
        "| split | awssdk-100 | 82.0 <sub>[82.0–82.0]</sub> | ❌ missed | – | 92.6 % <sub>[92.6 %–92.6 %]</sub> |"
    ), "{md}");
    assert!(md.contains("| embedded | awssdk-100 | 4.1"), "{md}");
    let embedded_otel = md
        .lines()
        .find(|l| l.starts_with("| embedded | otel-100 |"))
        .expect("an embedded otel row");
    assert!(embedded_otel.contains("✅ met"), "{embedded_otel}");
    // The collector's CPU per request is beside otel's (113 µs split; a twentieth embedded).
    assert!(
        md.contains(
            "| split | otel-100 | 159 <sub>[159–159]</sub> | ❌ missed | 113 <sub>[113–113]</sub> |"
        ),
        "{md}"
    );
    // The detailed sections are the split point's, and say so.
    assert!(md.contains("The sections below show the split point in detail"));
    assert!(md.contains("At the split operating point"));
    // The targets table holds the embedded default to its own throughput bar (85 %), for the
    // 100 % configs only, beside the split rows' 95 %.
    assert!(md.contains(
        "| throughput at saturation ≥ 85 % of noop (100 % sampling, embedded) | awssdk-100 | 92.6 % <sub>[92.6 %–92.6 %]</sub> | ✅ met |"
    ), "{md}");
    assert!(md.contains(
        "| throughput at saturation ≥ 95 % of noop (100 % sampling) | awssdk-100 | 92.6 % <sub>[92.6 %–92.6 %]</sub> | ❌ missed |"
    ), "{md}");
}

#[test]
fn the_pinning_table_is_what_was_read_back() {
    let dir = TempDir::new("pinning");
    let md = render(&two_points(), &dir.0, None);
    assert!(md.contains("| process | CPUs (read back) |"), "{md}");
    assert!(md.contains("| shop-orders | CPU 1 |"));
    assert!(md.contains("| localstack | CPU 0 |"));
    assert!(md.contains("| loadgen | CPU 0 |"));
    // A mask that differed between runs shows both.
    let mut r = two_points();
    r.runs[0].processes[0].cpus = "0-1".to_owned();
    assert_eq!(
        crate::runner::pinning_read_back(&r.runs)["shop-orders"],
        "CPUs 0-1 / CPU 1"
    );
}

#[test]
fn a_busy_load_generator_flags_the_run_and_steal_is_shown() {
    let dir = TempDir::new("flagged");
    let md = render(&two_points(), &dir.0, None);
    assert!(
        md.contains("### Was the load generator the limit? Steal time"),
        "{md}"
    );
    assert!(
        md.contains("| embedded | 12 | 2 ⚠️ (otel-100 closed×16 r1, otel-100 open@4000/s r1) | 50.0 %, 93.0 % | 4.0 %, 4.0 % |"),
        "{md}"
    );
    assert!(md.contains("| split | 12 | 0 | 50.0 %, 50.0 % | 4.0 %, 4.0 % |"));
}

#[test]
fn the_batch_table_shows_calls_per_thousand_requests() {
    let dir = TempDir::new("batch");
    let md = render(&two_points(), &dir.0, None);
    assert!(md.contains("### Batch size and protocol"), "{md}");
    let row = md
        .lines()
        .find(|l| l.starts_with("| split | otel-100 | http/protobuf | 512 |"))
        .expect("a batch row");
    // ⌊requests / 100⌋ export calls per run: just under 10 per 1 000 requests.
    assert!(row.ends_with("| 9.92 | 0.0 % |"), "{row}");
}

#[test]
fn results_without_points_affinities_or_cpu_load_load_as_split() {
    let mut json = serde_json::to_value(two_points()).unwrap();
    json["meta"]["plan"]
        .as_object_mut()
        .unwrap()
        .remove("points");
    for run in json["runs"].as_array_mut().unwrap() {
        let run = run.as_object_mut().unwrap();
        run.remove("point");
        run.remove("cpu_load");
        run.remove("loadgen_saturated");
        for p in run["processes"].as_array_mut().unwrap() {
            p.as_object_mut().unwrap().remove("cpus");
        }
    }
    for ov in json["overhead"].as_array_mut().unwrap() {
        ov.as_object_mut().unwrap().remove("point");
    }
    let r: Results = serde_json::from_value(json).unwrap();
    assert!(
        r.runs
            .iter()
            .all(|x| x.point == "split" && x.processes.iter().all(|p| p.cpus.is_empty()))
    );
    assert!(r.overhead.iter().all(|x| x.point == "split"));
    let dir = TempDir::new("old-points");
    let md = render(&r, &dir.0, None);
    assert!(md.contains("## Summary"));
    assert!(md.contains("predate reading the affinities back"), "{md}");
}

#[test]
fn saturation_trace_picture_and_split_cost_render() {
    let dir = TempDir::new("sat");
    let mut r = synthetic("full");
    r.saturation = vec![SaturationFidelity {
        config: "otel-100".to_owned(),
        concurrency: 16,
        duration_s: 25.0,
        metric_interval_s: 10.0,
        requests: 5000,
        throughput_rps: 200.0,
        spans_expected: 20_000,
        spans_arrived: 19_000,
        spans_dropped_reported: 1000,
        spans_missing: 1000,
        logs_expected: Some(5000),
        logs_arrived: Some(4000),
        logs_dropped_reported: Some(700),
        pipeline: Some(
            [("spans", 0), ("log_records", 300), ("metric_points", 0)]
                .into_iter()
                .map(|(signal, lost)| {
                    (
                        signal.to_owned(),
                        crate::pipeline::PipelineCount {
                            lost,
                            ..Default::default()
                        },
                    )
                })
                .collect(),
        ),
        checks: vec![],
        processes: vec![],
        bottleneck: "rotel".to_owned(),
        bottleneck_cores: 0.97,
    }];
    // A run recorded before the per-signal counts: the access lines come from its check.
    let mut old = r.saturation[0].clone();
    old.config = "awssdk-100".to_owned();
    (
        old.logs_expected,
        old.logs_arrived,
        old.logs_dropped_reported,
        old.pipeline,
    ) = (None, None, None, None);
    old.checks.push(Check {
        signal: "logs".to_owned(),
        name: crate::fidelity::ACCESS_LINE_CHECK.to_owned(),
        passed: 4462,
        total: 25125,
        failures: vec![],
        gap: None,
    });
    r.saturation.push(old);
    let node = |depth, name: &str, service: &str, kind: &str, start_ms, duration_ms| PictureNode {
        depth,
        name: name.to_owned(),
        service: service.to_owned(),
        kind: kind.to_owned(),
        start_ms,
        duration_ms,
    };
    for f in r.fidelity.iter_mut().filter(|f| f.load == "nominal") {
        let xray = f.config.starts_with("awssdk");
        f.picture = Some(TracePicture {
            store: if xray {
                "X-Ray (BatchGetTraces)"
            } else {
                "OTLP <capture>"
            }
            .to_owned(),
            trace_id: "abc".to_owned(),
            step: "checkout".to_owned(),
            nodes: vec![
                node(
                    0,
                    "POST /api/orders",
                    "orders",
                    if xray { "segment" } else { "server" },
                    0.0,
                    30.0,
                ),
                node(
                    1,
                    "SELECT carts",
                    "orders",
                    if xray { "subsegment" } else { "client" },
                    1.0,
                    2.0,
                ),
            ],
        });
    }
    // A fixed monthly item: $25.92 a month is $1 per million requests at 10/s.
    r.cost[0].items.push(CostItem {
        item: "custom metrics (one per series)".to_owned(),
        quantity: 86.4,
        unit: "metric-months".to_owned(),
        usd: 25.92,
        fixed_monthly: true,
        measured: None,
        note: Some("not measured: because".to_owned()),
    });
    let md = render(&r, &dir.0, None);
    assert!(md.contains("### Fidelity at saturation"));
    assert!(
        md.contains("| otel-100 | 16 | 25.0 s | 10.0 s | 5000 | 200 | 20000 | 19000 | 1000 | 1000 | n/a | rotel at 0.970 cores |"),
        "{md}"
    );
    // Per signal: the shop's 700 and the collector's 300 account for the 1000 missing lines;
    // in the older run nobody counted the loss.
    for row in [
        "| otel-100 | spans | 20000 | 19000 | 1000 | 1000 | 0 | ✅ |",
        "| otel-100 | logs (access lines) | 5000 | 4000 | 1000 | 700 | 300 | ✅ |",
        "| awssdk-100 | logs (access lines) | 25125 | 4462 | 20663 | – | – (no collector) | not recorded |",
    ] {
        assert!(md.contains(row), "{row} in {md}");
    }
    assert!(md.contains("- **awssdk-100**: X-Ray (BatchGetTraces), trace `abc`, 2 nodes."));
    assert!(md.contains("![One checkout trace as each backend stored it](report/trace.svg)"));
    let svg = std::fs::read_to_string(dir.0.join("report/trace.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(">awssdk-100<") && svg.contains(">otel-100<"));
    assert!(svg.contains("OTLP &lt;capture&gt;"), "text is escaped");
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    // Per request $5.15 + $25.92 a month spread over 25.92 M requests at 10/s.
    assert!(
        md.contains("| awssdk-100 | **$6.15** | **$5.25** | **$5.16** | $25.92 | $5.15 | 1 of 3 |"),
        "{md}"
    );
    assert!(md.contains("| custom metrics (one per series) | fixed monthly | $25.92/month <sub>86.4 metric-months</sub> |"));
    assert!(md.contains("(1 of 3 cost items not measured in this lab)"));
}

#[test]
fn what_reaches_x_ray_puts_the_three_views_side_by_side() {
    let dir = TempDir::new("into-xray");
    let md = render(&synthetic("full"), &dir.0, None);
    let at = md.find("## What reaches X-Ray").expect("the section");
    let section = &md[at..];
    assert!(
        section.contains(
            "| sampled traces arrived | 1000/1000 (100.0 %) | 1000/1000 (100.0 %) | 1000/1000 (100.0 %) |"
        ),
        "{section}"
    );
    // A check only the X-Ray view has shows as "–" in the other columns.
    assert!(
        section.contains(
            "| attributes survive (method, route, status, product id, SQL) | – | – | **120/1000 (12.0 %)** ❌ |"
        ),
        "{section}"
    );
}

#[test]
fn the_history_follows_each_target_per_config_and_lists_the_commits_between_runs() {
    use super::history;
    let r = paired(2);
    let figures = history::figures(&r);
    let find = |target: &str, config: &str| {
        figures
            .iter()
            .find(|f| f.target == target && f.config == config && f.point == "split")
            .unwrap_or_else(|| panic!("{target} {config}: {figures:?}"))
            .value
    };
    // The same estimates as the targets table (see paired_estimates_render_with_intervals…).
    assert!((find("T-CPU", "awssdk-100").median - 82.0).abs() < 0.05);
    assert!((find("T-THROUGHPUT", "awssdk-100").median - 0.926).abs() < 0.0005);
    assert!((find("T-P99", "awssdk-100").median - 120.0).abs() < 1e-9);
    assert!(find("T-CPU", "otel-100").median > 0.0);

    let first = history::snapshot(&r).expect("a full run with paired estimates");
    let mut second = first.clone();
    second.commit = "bbbbbbb".into();
    second.generated_at = "2026-12-06T00:00:00Z".into();
    second.changes = vec!["ccccccc awssdk: a faster encoder".into()];
    second.other_commits = 3;
    let md = history::markdown(&[first.clone(), second]);
    assert!(md.contains("**T-CPU**: CPU added per request"), "{md}");
    assert!(
        md.contains("| run | awssdk-100 split | otel-100 split |"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| `{}` {} | 82.0 µs <sub>[82.0 µs–82.0 µs]</sub> ❌ |",
            first.commit,
            &first.generated_at[..10]
        )),
        "{md}"
    );
    assert!(md.contains("1 such commit(s) and 3 other(s)"), "{md}");
    assert!(md.contains("  - ccccccc awssdk: a faster encoder"), "{md}");
    // A quick run is not history.
    assert!(history::snapshot(&synthetic("quick")).is_none());
}
