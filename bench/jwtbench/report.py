"""The results as Markdown: medians per (server, scenario), ratios, the issue's targets.

Ratios are computed round by round (both numbers from the same round, minutes apart)
and the median of those is shown, so that a slow spell on the machine moves both sides
of a ratio together. Only valid runs count: zero errors, no assertion sent twice, and
every sampled answer verified.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

BEGIN = "<!-- bench:begin (make bench rewrites this part) -->"
END = "<!-- bench:end -->"

TARGET_ORDER = (
    "uvicorn-empty",
    "fastapi-empty",
    "jwtgate",
    "jwtgate-pg",
    "jwtgate-pg-w2",
    "authlib",
    "node-oidc-provider",
    "jwtgate-quiet",
    "jwtgate-starlette",
    "jwtgate-starlette-quiet",
    "jwtgate-gc-freeze",
    "jwtgate-gc-stats",
)
TARGET_LABELS = {
    "uvicorn-empty": "empty uvicorn endpoint (bare ASGI)",
    "fastapi-empty": "empty FastAPI route",
    "jwtgate": "jwtgate SQLite + memory, 1 worker",
    "jwtgate-pg": "jwtgate PostgreSQL + Redis, 1 worker",
    "jwtgate-pg-w2": "jwtgate PostgreSQL + Redis, 2 workers †",
    "authlib": "Authlib (Flask + gunicorn, 1 worker)",
    "node-oidc-provider": "node-oidc-provider 9.13",
    "jwtgate-quiet": "experiment: jwtgate, --log-level warning",
    "jwtgate-starlette": "experiment: jwtgate, hot routes as Starlette routes",
    "jwtgate-starlette-quiet": "experiment: both",
    "jwtgate-gc-freeze": "experiment: jwtgate, gc.freeze() after start-up",
    "jwtgate-gc-stats": "experiment: jwtgate, slow gen-2 collections logged",
}
SCENARIO_LABELS = {
    "empty": "GET / (empty)",
    "jwt-bearer": "POST /oauth/token jwt-bearer",
    "client-credentials": "POST /oauth/token client_credentials + private_key_jwt",
    "authn-jwt": "POST /authn-jwt/… (JWKS, 2 bindings)",
    "check": "GET /authn/check",
}


class Record(Protocol):
    round: int
    target: str
    scenario: str
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    errors: int
    samples_checked: int
    server_cpu: float
    cores_busy: float
    rss_kib_start: dict[str, int]
    rss_kib_end: dict[str, int]
    valid: bool
    problem: str


def _median(values: Iterable[float]) -> float | None:
    items = list(values)
    return statistics.median(items) if items else None


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)


def _valid(records: Sequence[Record]) -> dict[tuple[str, str], list[Record]]:
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        if record.valid:
            groups[(record.target, record.scenario)].append(record)
    return groups


def _by_round(records: Sequence[Record], target: str, scenario: str) -> dict[int, Record]:
    return {
        r.round: r for r in records if r.valid and r.target == target and r.scenario == scenario
    }


def ratio(
    records: Sequence[Record], top: tuple[str, str], bottom: tuple[str, str]
) -> tuple[float | None, list[float]]:
    """Median over rounds of top/bottom req/s, both from the same round."""
    upper, lower = _by_round(records, *top), _by_round(records, *bottom)
    values = [
        upper[n].rps / lower[n].rps for n in sorted(upper.keys() & lower.keys()) if lower[n].rps > 0
    ]
    return _median(values), values


def _rss_change(record_list: Sequence[Record]) -> str:
    """Each worker's RSS before the warm-up and after the measured run (last valid round)."""
    if not record_list:
        return "—"
    last = record_list[-1]
    pairs = [
        f"{start / 1024:.0f}→{last.rss_kib_end[pid] / 1024:.0f}"
        for pid, start in last.rss_kib_start.items()
        if pid in last.rss_kib_end
    ]
    return (", ".join(pairs) + " MiB") if pairs else "—"


def rss_table(records: Sequence[Record]) -> list[str]:
    """Each worker's RSS over a server's whole life in a round (all its scenarios)."""
    lines = [
        "| server | round | requests measured | RSS per worker, first run's start → last "
        "run's end (MiB) |",
        "|---|---:|---:|---|",
    ]
    lives: dict[tuple[str, int], list[Record]] = defaultdict(list)
    for record in records:
        lives[(record.target, record.round)].append(record)
    for target in TARGET_ORDER:
        for (name, number), life in sorted(lives.items()):
            if name != target:
                continue
            first, last = life[0], life[-1]
            pairs = [
                f"{start / 1024:.0f}→{last.rss_kib_end[pid] / 1024:.0f}"
                f" ({(last.rss_kib_end[pid] - start) / start:+.0%})"
                for pid, start in first.rss_kib_start.items()
                if pid in last.rss_kib_end and start
            ]
            measured = sum(r.requests for r in life)
            lines.append(
                f"| {TARGET_LABELS[target]} | {number} | {measured:,} | {', '.join(pairs)} |"
            )
    return lines


def results_table(records: Sequence[Record]) -> list[str]:
    groups = _valid(records)
    lines = [
        "| server | scenario | req/s (median) | min-max | p50 ms | p99 ms | p99/p50 "
        "| server CPU / core busy | valid runs | sampled tokens verified | worker RSS |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    seen = {(r.target, r.scenario) for r in records}
    for target in TARGET_ORDER:
        for scenario in SCENARIO_LABELS:
            if (target, scenario) not in seen:
                continue
            runs = groups.get((target, scenario), [])
            total = sum(1 for r in records if r.target == target and r.scenario == scenario)
            rps = [r.rps for r in runs]
            spread = f"{min(rps):,.0f}-{max(rps):,.0f}" if rps else "—"
            lines.append(
                f"| {TARGET_LABELS[target]} | {SCENARIO_LABELS[scenario]} "
                f"| **{_fmt(_median(rps))}** | {spread} "
                f"| {_fmt(_median(r.p50_ms for r in runs), '.2f')} "
                f"| {_fmt(_median(r.p99_ms for r in runs), '.2f')} "
                f"| {_fmt(_median(r.p99_ms / r.p50_ms for r in runs if r.p50_ms), '.2f')} "
                f"| {_fmt(_median(r.server_cpu * 100 for r in runs), '.0f')} % / "
                f"{_fmt(_median(r.cores_busy * 100 for r in runs), '.0f')} % "
                f"| {len(runs)}/{total} | {sum(r.samples_checked for r in runs)} "
                f"| {_rss_change(runs)} |"
            )
    return lines


RATIOS: tuple[tuple[str, tuple[str, str], tuple[str, str], float | None], ...] = (
    (
        "token endpoint (client_credentials + private_key_jwt): jwtgate ÷ node-oidc-provider",
        ("jwtgate", "client-credentials"),
        ("node-oidc-provider", "client-credentials"),
        2.0,
    ),
    (
        "token endpoint (jwt-bearer grant): jwtgate ÷ node-oidc-provider (client_credentials)",
        ("jwtgate", "jwt-bearer"),
        ("node-oidc-provider", "client-credentials"),
        2.0,
    ),
    (
        "token endpoint (jwt-bearer grant): jwtgate ÷ Authlib",
        ("jwtgate", "jwt-bearer"),
        ("authlib", "jwt-bearer"),
        None,
    ),
    (
        "node-oidc-provider ÷ Authlib (peers, for scale with the issue's figures)",
        ("node-oidc-provider", "client-credentials"),
        ("authlib", "jwt-bearer"),
        None,
    ),
    (
        "authn-jwt ÷ token endpoint (jwt-bearer), jwtgate",
        ("jwtgate", "authn-jwt"),
        ("jwtgate", "jwt-bearer"),
        1.0,
    ),
    (
        "authn-jwt ÷ token endpoint (client_credentials), jwtgate",
        ("jwtgate", "authn-jwt"),
        ("jwtgate", "client-credentials"),
        1.0,
    ),
    (
        "/authn/check ÷ empty uvicorn endpoint",
        ("jwtgate", "check"),
        ("uvicorn-empty", "empty"),
        0.40,
    ),
    (
        "empty FastAPI route ÷ empty uvicorn endpoint (framework cost, informative)",
        ("fastapi-empty", "empty"),
        ("uvicorn-empty", "empty"),
        None,
    ),
    *(
        (
            f"--workers 2 ÷ 1 worker (PostgreSQL + Redis), {scenario} †",
            ("jwtgate-pg-w2", scenario),
            ("jwtgate-pg", scenario),
            1.7,
        )
        for scenario in ("jwt-bearer", "client-credentials", "authn-jwt", "check")
    ),
    *(
        (
            f"experiment {experiment} ÷ jwtgate as shipped (SQLite + memory), {scenario}",
            (experiment, scenario),
            ("jwtgate", scenario),
            None,
        )
        for experiment in (
            "jwtgate-quiet",
            "jwtgate-starlette",
            "jwtgate-starlette-quiet",
            "jwtgate-gc-freeze",
        )
        for scenario in ("jwt-bearer", "client-credentials", "authn-jwt", "check")
    ),
    *(
        (
            f"PostgreSQL + Redis ÷ SQLite + memory (1 worker), {scenario}",
            ("jwtgate-pg", scenario),
            ("jwtgate", scenario),
            None,
        )
        for scenario in ("jwt-bearer", "client-credentials", "authn-jwt", "check")
    ),
)


def ratio_table(records: Sequence[Record]) -> list[str]:
    lines = ["| ratio (median of per-round ratios) | value | rounds | target | met |"]
    lines.append("|---|---:|---|---:|:-:|")
    for label, top, bottom, goal in RATIOS:
        value, values = ratio(records, top, bottom)
        if value is None:
            continue
        rounds = ", ".join(f"{v:.2f}" for v in values)
        met = "" if goal is None else ("yes" if value >= goal else "**no**")
        target = "" if goal is None else f"≥ {goal:g}"
        lines.append(f"| {label} | **{value:.2f}** | {rounds} | {target} | {met} |")
    return lines


def tail_table(records: Sequence[Record]) -> list[str]:
    lines = ["| jwtgate set-up | scenario | p99/p50 (median) | ≤ 2 |", "|---|---|---:|:-:|"]
    groups = _valid(records)
    for target in ("jwtgate", "jwtgate-pg", "jwtgate-pg-w2"):
        for scenario in ("jwt-bearer", "client-credentials", "authn-jwt", "check"):
            runs = groups.get((target, scenario))
            if not runs:
                continue
            value = _median(r.p99_ms / r.p50_ms for r in runs if r.p50_ms)
            met = "yes" if value is not None and value <= 2 else "**no**"
            lines.append(f"| {TARGET_LABELS[target]} | {scenario} | {_fmt(value, '.2f')} | {met} |")
    return lines


def render(meta: dict[str, Any], records: Sequence[Record]) -> str:
    invalid = [r for r in records if not r.valid]
    lines = [
        f"## make bench — {meta['date']}",
        "",
        f"- **Command:** `{meta['command']}` ({meta['minutes']} min); code: {meta['code']}",
        f"- **Machine:** {meta['machine']}; Python {meta['python']}"
        + (f", Node {meta['node']}" if meta.get("node") else "")
        + f", {meta['wrk']}",
        f"- **Layout:** each server pinned to CPU 0 (`taskset -c 0`), wrk pinned to CPU 1 "
        f"(`-t{meta['threads']} -c{meta['connections']}`, Lua script cycling through pools "
        f"of pre-minted distinct RS256 assertions), {meta['warmup']} s warm-up then "
        f"{meta['duration']} s measured, {meta['rounds']} round(s) (order reversed every "
        f"other round); medians over valid runs. PostgreSQL and Redis are the machine's "
        f"shared services, not pinned.",
        f"- **Concurrent load:** load average {meta['load_at_start']} at the start, "
        f"{meta['load_at_end']} at the end"
        + (f" — {meta['note']}" if meta.get("note") else "")
        + ". *Server CPU* is the share of its core the server got; *core busy* includes "
        "everyone else on that core (and the kernel's network work): the gap is "
        "interference.",
        *(
            [f"- **jwtgate settings tried:** `{meta['jwtgate_env']}`"]
            if meta.get("jwtgate_env")
            else []
        ),
        f"- **Inputs:** {meta['minted']:,} assertions and IdP tokens minted; the IdP's JWKS "
        f"was fetched {meta['jwks_fetches']} time(s) in all.",
        "",
        "### Throughput and latency",
        "",
        *results_table(records),
        "",
        "† `--workers 2` runs on CPUs 0-1 and shares them with wrk, so its ratio to one "
        "worker understates what two dedicated cores would give.",
        "",
        "### Ratios and the issue's targets",
        "",
        *ratio_table(records),
        "",
        "### Tail latency at saturation (target p99 <= 2 x p50)",
        "",
        *tail_table(records),
        "",
        "### Memory: RSS per worker over each server's life (warm-ups included)",
        "",
        *rss_table(records),
        "",
        "Flatness over a 1 M-request run is measured by `bench/run.sh --soak 1000000` "
        "(not part of the default run; see bench/README.md).",
        "",
    ]
    if invalid:
        lines += ["### Invalid runs (not counted)", ""]
        lines += [f"- r{r.round} {r.target} {r.scenario}: {r.problem}" for r in invalid]
        lines.append("")
    lines += [
        "<details><summary>Every run</summary>",
        "",
        "| round | server | scenario | req/s | p50 ms | p99 ms | server CPU | core busy "
        "| errors | samples | valid |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for r in records:
        lines.append(
            f"| {r.round} | {r.target} | {r.scenario} | {r.rps:,.0f} | {r.p50_ms:.2f} "
            f"| {r.p99_ms:.2f} | {r.server_cpu:.0%} | {r.cores_busy:.0%} | {r.errors} "
            f"| {r.samples_checked} | {'yes' if r.valid else 'no'} |"
        )
    lines += ["", "</details>", "", f"Raw data: `{meta['work']}/results.json` (not committed)."]
    return "\n".join(lines) + "\n"


def render_console(records: Sequence[Record]) -> str:
    lines = ["", "median req/s (valid runs):"]
    for (target, scenario), runs in sorted(_valid(records).items()):
        value = _median(r.rps for r in runs)
        lines.append(f"  {target:<20} {scenario:<19} {_fmt(value):>9}")
    lines.append("")
    for label, top, bottom, goal in RATIOS:
        value, _ = ratio(records, top, bottom)
        if value is not None:
            verdict = "" if goal is None else (" (met)" if value >= goal else " (NOT met)")
            lines.append(f"  {value:5.2f}  {label}{verdict}")
    return "\n".join(lines)


def update_results_file(path: Path, section: str) -> None:
    """Replace the part between the markers, keeping the hand-written notes around it."""
    block = f"{BEGIN}\n{section}{END}\n"
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            head, _, rest = text.partition(BEGIN)
            _, _, tail = rest.partition(END)
            path.write_text(head + block + "\n" + tail.lstrip("\n"))
            return
        path.write_text(text.rstrip("\n") + "\n\n" + block)
        return
    path.write_text("# jwtgate benchmark results\n\n" + block)
