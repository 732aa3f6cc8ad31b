#!/usr/bin/env python3
"""Keeps docs/features.md true to the code (run by `make check`).

Checks, for the feature map:
- every plan id in docs/plan-ids.txt has exactly one row, and no row has an id outside that list;
- every status is `done`, `partial` or `planned`; a `done` row names code and a test;
- every module path in the code column (`crate::module::…`) is a file of this repository;
- every test in the test column (`path/to/file.rs::test_name`) is a function in that file;
- the Summary's totals and its table per group are the counts of the rows below them (on a
  mismatch, the expected lines are printed; `--write-summary` writes them).

Standard library only, so it runs wherever Python 3 does.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRATES = {
    "shop_core": "app/core/src",
    "shop": "app/server/src",
    "telemetry_api": "telemetry-api/src",
    "telemetry_awssdk": "telemetry-awssdk/src",
    "telemetry_otel": "telemetry-otel/src",
    "otlp_capture": "otlp-capture/src",
    "shop_experiments": "experiments/src",
    "shop_benches": "benches/src",
    "shop_functions": "app/functions/src",
}
ROW = re.compile(r"^\| ([A-Z]-[A-Z]+-[0-9]+) \|(.*)$")
CODE = re.compile(r"`([a-z_]+(?:::[a-z_0-9]+)*)`")
TEST = re.compile(r"`([A-Za-z0-9_./-]+\.rs)::([a-z_0-9]+)(?:::[a-z_0-9]+)?`")


def module_exists(path: str) -> bool:
    crate, *parts = path.split("::")
    base = CRATES.get(crate)
    if base is None:
        return False
    here = ROOT / base
    if not parts:
        return here.is_dir()
    rel = "/".join(parts)
    return (here / f"{rel}.rs").is_file() or (here / rel / "mod.rs").is_file()


STATUSES = ("done", "partial", "planned")


def summary_problems(lines: list[str], rows: dict[str, list[str]]) -> list[str]:
    """The Summary's line and table against the rows of each `## ` section with an anchor."""
    groups: list[tuple[str, str, dict[str, int]]] = []
    anchor = None
    for line in lines:
        a = re.match(r'^<a id="([^"]+)"></a>$', line)
        if a:
            anchor = a.group(1)
            continue
        h = re.match(r"^## (.+)$", line)
        if h and anchor:
            groups.append((anchor, h.group(1), {st: 0 for st in STATUSES}))
        elif h:
            groups.append(("", "", {}))
        anchor = None
        m = ROW.match(line)
        if m and groups and groups[-1][0]:
            status = rows.get(m.group(1), ["", ""])[1]
            if status in STATUSES:
                groups[-1][2][status] += 1
    groups = [g for g in groups if g[0]]
    total = {st: sum(g[2][st] for g in groups) for st in STATUSES}
    want = [f"{len(rows)} features: " + ", ".join(f"**{total[st]} {st}**" for st in STATUSES) + "."]
    want += [f"| [{title}](#{anchor}) | " + " | ".join(str(c[st]) for st in STATUSES) + " |" for anchor, title, c in groups]
    want.append("| **all** | " + " | ".join(f"**{total[st]}**" for st in STATUSES) + " |")
    summary = [i for i, l in enumerate(lines) if re.match(r"^\d+ features: ", l) or re.match(r"^\| (\[.+\]\(#[a-z-]+\)|\*\*all\*\*) \|", l)]
    if [lines[i] for i in summary] == want:
        return []
    if "--write-summary" in sys.argv and len(summary) == len(want):
        for i, line in zip(summary, want):
            lines[i] = line
        (ROOT / "docs/features.md").write_text("\n".join(lines) + "\n")
        return []
    return ["the Summary does not match the rows (`--write-summary` rewrites it); it should read:\n" + "\n".join(want)]


def main() -> int:
    plan = [l.strip() for l in (ROOT / "docs/plan-ids.txt").read_text().splitlines() if l.strip()]
    rows: dict[str, list[str]] = {}
    problems: list[str] = []
    for n, line in enumerate((ROOT / "docs/features.md").read_text().splitlines(), 1):
        m = ROW.match(line)
        if not m:
            continue
        fid = m.group(1)
        if fid in rows:
            problems.append(f"line {n}: {fid} appears twice")
        cells = [c.strip() for c in m.group(2).split(" | ")]
        rows[fid] = cells
        if len(cells) < 5:
            problems.append(f"line {n}: {fid} has {len(cells)} cells after the id, expected 6")
            continue
        _title, status, code, test = cells[0], cells[1], cells[2], cells[3]
        if status not in ("done", "partial", "planned"):
            problems.append(f"line {n}: {fid} has status {status!r}")
        if status == "done" and (code in ("—", "") or test in ("—", "")):
            problems.append(f"line {n}: {fid} is done but names no code or no test")
        for mod in CODE.findall(code):
            if not module_exists(mod):
                problems.append(f"line {n}: {fid}: module `{mod}` is no file of the repository")
        for file, func in TEST.findall(test):
            src = ROOT / file
            if not src.is_file():
                problems.append(f"line {n}: {fid}: test file {file} does not exist")
            elif not re.search(rf"\bfn {re.escape(func)}\b", src.read_text()):
                problems.append(f"line {n}: {fid}: no fn {func} in {file}")
    problems.extend(summary_problems((ROOT / "docs/features.md").read_text().splitlines(), rows))
    for fid in plan:
        if fid not in rows:
            problems.append(f"{fid} (a plan id) has no row")
    for fid in rows:
        if fid not in plan:
            problems.append(f"{fid} has a row but is no plan id")
    for p in problems:
        print(f"docs/features.md: {p}", file=sys.stderr)
    if problems:
        return 1
    counts = {s: sum(1 for c in rows.values() if c[1] == s) for s in ("done", "partial", "planned")}
    print(f"docs/features.md: {len(rows)} ids, " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
