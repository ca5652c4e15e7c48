"""Where the time goes: summaries of py-spy's collapsed stacks (``--profile`` runs).

py-spy records the serving process while wrk loads it (``record --format raw
--function --threads``: one line per distinct stack, frames ``func (file:first line)``,
the sample count last). For each scenario this prints, for the event-loop thread:

- the split below the event loop: request handling, HTTP parsing, background tasks,
  and samples whose leaf is the loop itself (uvloop's C code: sockets, epoll);
- *inclusive* time per function (a function counted once per stack), the largest first;
- *self* time per function (the leaf frame: where the CPU actually was).

Percentages are of the event-loop thread's samples. Other threads (aiosqlite's, for
example) are listed by their share separately.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

LOOP_ENTRY = re.compile(r"^run \((asyncio/runners\.py|uvloop)")
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
TOP_INCLUSIVE = 45
TOP_SELF = 25


@dataclass
class Profile:
    total: int  # samples of the event-loop thread
    threads: Counter[str]
    below_loop: Counter[str]
    inclusive: Counter[str]
    self_time: Counter[str]


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match.group('func')} ({path}:{match.group('line') or '?'})"


def parse(path: Path) -> Profile:
    threads: Counter[str] = Counter()
    per_thread: dict[str, list[tuple[list[str], int]]] = {}
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_short(frame) for frame in stack.split(";") if frame.strip()]
        thread = frames[0] if frames and frames[0].startswith("thread") else "thread ?"
        frames = frames[1:] if frames and frames[0].startswith("thread") else frames
        count = int(count_text)
        threads[thread] += count
        per_thread.setdefault(thread, []).append((frames, count))
    loop_thread = max(
        per_thread,
        key=lambda name: sum(
            count
            for frames, count in per_thread[name]
            if any(LOOP_ENTRY.match(frame) for frame in frames)
        ),
        default="",
    )
    below: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    total = 0
    for frames, count in per_thread.get(loop_thread, []):
        total += count
        entry = next((i for i, frame in enumerate(frames) if LOOP_ENTRY.match(frame)), None)
        tail = frames[entry + 1 :] if entry is not None else frames
        below[tail[0] if tail else "(the event loop itself: uvloop, sockets, epoll)"] += count
        for frame in set(tail):
            inclusive[frame] += count
        if tail:
            self_time[tail[-1]] += count
        else:
            self_time["(the event loop itself)"] += count
    return Profile(total, threads, below, inclusive, self_time)


def summarise(name: str, profile: Profile) -> str:
    if not profile.total:
        return f"### {name}\n\nno samples\n"

    def pct(count: int) -> str:
        return f"{100 * count / profile.total:5.1f} %"

    lines = [f"### {name}", "", f"{profile.total} samples of the event-loop thread", ""]
    others = [(t, c) for t, c in profile.threads.most_common() if c and c != profile.total]
    if others:
        lines.append("other threads: " + ", ".join(f"{t}: {c}" for t, c in others))
        lines.append("")
    lines += ["Below the event loop:", "```"]
    lines += [f"{pct(count)}  {frame}" for frame, count in profile.below_loop.most_common(8)]
    lines += ["```", "", "Inclusive (a function and what it calls):", "```"]
    lines += [
        f"{pct(count)}  {frame}" for frame, count in profile.inclusive.most_common(TOP_INCLUSIVE)
    ]
    lines += ["```", "", "Self (the leaf frame):", "```"]
    lines += [f"{pct(count)}  {frame}" for frame, count in profile.self_time.most_common(TOP_SELF)]
    lines += ["```", ""]
    return "\n".join(lines)


def summarise_all(runs: Path) -> str:
    parts = ["## py-spy profiles", ""]
    for folder in sorted(runs.iterdir()):
        data = folder / "profile.txt"
        if data.exists():
            parts.append(summarise(folder.name, parse(data)))
    return "\n".join(parts)
