"""Load test (slow, not in the default run: `make load`): 20 concurrent Streamlit sessions for 60 s.

Each session is a real app session over the websocket (tests/streamlit_client.py). Sessions act like
people: a page view, then a pause of 2-6 s (THINK_SECONDS), on a mid-size export (2,000 JourneyDB and 200 Visual Genome
images, with image files). The single-user baseline views every scenario three times, one after another.
The test asserts no errors and p95 latency within 3x of the single user, and writes its figures to
test-artifacts/load.txt.
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from explorer.config import Settings
from explorer.store import Store
from tests.conftest import ARTIFACTS, serve_app
from tests.streamlit_client import StreamlitSession

pytestmark = pytest.mark.slow

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "20"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
THINK_SECONDS = (2.0, 6.0)
SLOWEST: list[
    tuple[float, str, str]
] = []  # every view of the run, for the report's slowest list  # a person looks at a page for a few seconds before the next click


@pytest.fixture(scope="module")
def midsize_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from explorer.ingest.journeydb import ingest as ingest_journeydb
    from explorer.ingest.visual_genome import ingest as ingest_visual_genome
    from explorer.sample import write_raw_journeydb, write_raw_visual_genome

    root = tmp_path_factory.mktemp("load")
    data = root / "data"
    write_raw_journeydb(root / "raw_jdb", seed=7, n_images=2000)
    write_raw_visual_genome(root / "raw_vg", seed=7, n_images=200)
    ingest_journeydb(root / "raw_jdb", data, progress=False)
    ingest_visual_genome(root / "raw_vg", data, progress=False)
    return data


def scenarios(data: Path) -> list[tuple[str, str]]:
    """(page, query string) pairs that cover every page with real values from the export."""
    store = Store(Settings(data_dir=data))
    styles = [r[0] for r in store.rows("SELECT tag FROM journeydb_tags WHERE kind = 'style' GROUP BY 1 LIMIT 6")]
    names = [r[0] for r in store.rows("SELECT name FROM vg_object_counts ORDER BY n_images DESC LIMIT 6")]
    jdb_ids = [r[0] for r in store.rows("SELECT image_id FROM journeydb_images LIMIT 5")]
    vg_ids = [r[0] for r in store.rows("SELECT image_id FROM vg_images LIMIT 5")]
    out: list[tuple[str, str]] = [("", "")]
    out += [("journeydb", urlencode({"style": s})) for s in styles]
    out += [("journeydb", urlencode({"q": "the", "page": 2})), ("journeydb", "")]
    out += [("journeydb", urlencode({"id": i})) for i in jdb_ids]
    out += [("visual_genome", urlencode({"object": n})) for n in names]
    out += [("visual_genome", urlencode({"rel": "man||"})), ("visual_genome", "")]
    out += [("visual_genome", urlencode({"id": i})) for i in vg_ids]
    out += [("journeydb_stats", ""), ("journeydb_stats", urlencode({"style": styles[0]}))]
    out += [("visual_genome_stats", ""), ("visual_genome_stats", urlencode({"object": names[0]}))]
    out += [("sql", urlencode({"q": "SELECT tag, count(*) FROM journeydb_tags GROUP BY 1 ORDER BY 2 DESC"}))]
    return out


def drive(url: str, plan: list[tuple[str, str]], until: float, seed: int, think: bool) -> tuple[list[float], list[str]]:
    """One user: page views in random order until `until` (with `think`: a pause of THINK_SECONDS after each)."""
    rng = random.Random(seed)
    if think:
        time.sleep(rng.uniform(0, THINK_SECONDS[1]))  # people arrive spread out, not all in the same instant
    return _views(url, lambda: rng.choice(plan), lambda: time.monotonic() < until, rng if think else None)


def walk(url: str, plan: list[tuple[str, str]]) -> tuple[list[float], list[str]]:
    """One user viewing every scenario of `plan` in order, without pauses."""
    steps = iter(plan)
    remaining = [len(plan)]

    def more() -> bool:
        remaining[0] -= 1
        return remaining[0] >= 0

    return _views(url, lambda: next(steps), more, None)


def _views(url, pick, more, rng: random.Random | None) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    session = StreamlitSession(url)
    try:
        while more():
            page, query = pick()
            try:
                result = session.run(page, query)
            except Exception as err:  # a dropped connection is an error of the run, not of the test
                errors.append(f"{page}?{query}: {type(err).__name__}: {err}")
                break
            latencies.append(result.seconds)
            SLOWEST.append((result.seconds, page, query))
            if result.exceptions or not result.finished or result.page != page:
                errors.append(f"{page}?{query}: exceptions={result.exceptions} finished={result.finished}")
            if rng is not None:
                time.sleep(rng.uniform(*THINK_SECONDS))
    finally:
        session.close()
    return latencies, errors


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else 0.0)


def test_twenty_sessions_for_a_minute(midsize_data: Path) -> None:
    plan = scenarios(midsize_data)
    with serve_app(midsize_data) as url:
        walk(url, plan)  # warm the caches: every scenario once
        single, single_errors = walk(url, plan * 3)  # the single-user baseline: the same mix, one at a time
        results: list[tuple[list[float], list[str]]] = [([], [])] * SESSIONS
        until = time.monotonic() + SECONDS

        def worker(n: int) -> None:
            results[n] = drive(url, plan, until, seed=100 + n, think=True)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(SESSIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 120)
    latencies = [x for lat, _ in results for x in lat]
    errors = single_errors + [e for _, errs in results for e in errs]
    report = (
        f"sessions={SESSIONS} seconds={SECONDS:g} page views={len(latencies)} errors={len(errors)}\n"
        f"single user: n={len(single)} p50={statistics.median(single):.3f}s p95={p95(single):.3f}s\n"
        f"{SESSIONS} users: p50={statistics.median(latencies):.3f}s p95={p95(latencies):.3f}s "
        f"max={max(latencies):.3f}s\n"
        + "".join(f"slow: {sec:.3f}s {page}?{query}\n" for sec, page, query in sorted(SLOWEST, reverse=True)[:8])
        + "".join(f"error: {e}\n" for e in errors[:20])
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.txt").write_text(report)
    print(report)
    assert not errors, report
    assert len(latencies) >= SESSIONS * SECONDS / (THINK_SECONDS[1] + 1), report
    assert p95(latencies) <= 3 * p95(single), report
