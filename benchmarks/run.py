"""The benchmark: `python -m benchmarks.run --scale S` (what `make bench SCALE=S` runs).

1. Generates raw releases at scale S (benchmarks/generate.py; reused when already there).
2. Ingests each dataset in a subprocess: wall time and peak RSS (the child's VmHWM, see `run_measured`).
3. Times every user operation through the functions the pages call (p50/p95 over varied parameters),
   then writes the largest downloads (`export_view`, 100,000 rows) each in a subprocess: time and peak RSS.
4. Starts `explorer serve`, loads every page in Chromium: cold start to first page, then server RSS.
5. Runs the naive baseline (benchmarks/naive.py: json + pandas) on the same data, in subprocesses.
6. Writes benchmarks/out/results-<scale>.json and the report (benchmarks/RESULTS.md by default).

Nothing here asserts: figures are reported against the targets of issue 6 as met / missed.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import psutil

from benchmarks import generate, naive
from explorer import exports
from explorer.config import DATASETS, Settings
from explorer.filters import AttributeFilter, JourneyFilter, Triple, VGFilter
from explorer.ingest.common import slowest_steps
from explorer.queries import filters as qfilters
from explorer.store import Store
from explorer.textindex import TextIndex

ROOT = Path(__file__).resolve().parent.parent
PAGE = 48
PAGES = ("/", "/journeydb", "/visual_genome", "/journeydb_stats", "/visual_genome_stats", "/sql")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# name -> (target in ms, what the target is about); ops without a target are reported only.
QUERY_TARGETS_MS = {
    "jdb.tag_page": 100,
    "jdb.text_search": 300,
    "jdb.text_search+tag": 300,
    "vg.objects_and": 100,
    "vg.attribute": 100,
    "vg.triple": 100,
    "vg.image_annotations": 30,
    "jdb.sample": 30,
    "jdb.stats.page": 1000,  # issue 5: a stats page renders within a second
    "vg.stats.page": 1000,
}
STATS_TARGET_MS = 500


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    stdout: str = ""
    ok: bool = True
    error: str = ""


@dataclass
class OpResult:
    name: str
    p50: float
    p95: float
    n: int
    target: float | None
    note: str = ""
    naive_p95: float | None = None


@dataclass
class Report:
    scale: float
    started: str
    machine: dict[str, str] = field(default_factory=dict)
    ingest: dict[str, Measured] = field(default_factory=dict)
    naive: dict[str, Measured] = field(default_factory=dict)
    ops: list[OpResult] = field(default_factory=list)
    app: dict[str, float] = field(default_factory=dict)
    exports: dict[str, Measured] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# -- measuring subprocesses ------------------------------------------------------------------------


def run_measured(cmd: list[str], *, timeout: float = 7200) -> Measured:
    """Run `cmd`, returning its wall time and peak RSS.

    The peak is the child's own high-water mark (VmHWM in /proc, read every 50 ms while it runs). Its ru_maxrss is not
    used where /proc is there: Linux carries the forked copy of this process's RSS across exec into it, so
    a benchmark process holding generated data made every ingest look as large as itself.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        deadline = started + timeout
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _high_water_kb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    ok = proc.returncode == 0
    peak_mb = peak_kb / 1024 if peak_kb else usage.ru_maxrss / 1024
    return Measured(seconds, peak_mb, stdout, ok, "" if ok else stderr.strip()[-2000:])


def _high_water_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM) in kB, or 0 when /proc cannot tell (not Linux, or gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def ingest_cmd(dataset: str, raw: Path, data: Path) -> list[str]:
    module = {"journeydb": "journeydb", "visual_genome": "visual_genome"}[dataset]
    code = (
        f"from pathlib import Path; from explorer.ingest import {module} as m; "
        f"r = m.ingest(Path({str(raw)!r}), Path({str(data)!r}), progress=False); "
        "import json; print(json.dumps(r.steps))"
    )
    return [sys.executable, "-c", code]


# -- timing ops ------------------------------------------------------------------------------------


def timed(fn: Callable[[Any], Any], variants: list[Any], repeats: int) -> list[float]:
    """Milliseconds per call over every variant, `repeats` times each (after one untimed warm-up call).

    The library's per-selection caches are emptied before every timed call: each is measured cold.
    """
    from explorer.queries import stats

    if variants:
        fn(variants[0])
    times = []
    for _ in range(repeats):
        for v in variants:
            stats.clear_caches()
            started = time.perf_counter()
            fn(v)
            times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def pick_params(store: Store, rng: random.Random) -> dict[str, list[Any]]:
    """Varied, realistic parameters: frequent, middling and rare tags/objects/words, random image ids."""

    def spread(sql: str, n: int = 6) -> list[Any]:
        values = [r[0] for r in store.rows(sql)]
        if not values:
            return []
        picks = [values[0], values[min(2, len(values) - 1)]]
        picks += [values[min(len(values) - 1, int(len(values) * q))] for q in (0.01, 0.05, 0.2, 0.5)]
        return picks[:n]

    styles = spread("SELECT tag FROM journeydb_tag_counts WHERE kind = 'style' ORDER BY n_images DESC, tag")
    names = spread("SELECT name FROM vg_object_counts ORDER BY n_objects DESC, name")
    attrs = spread("SELECT attribute FROM vg_attribute_counts ORDER BY n_objects DESC, attribute")
    preds = spread("SELECT predicate FROM vg_predicate_counts ORDER BY n_relationships DESC, predicate")
    words = ["portrait", "cat", "dragon castle", "woman red dress", "cyberpunk city night", "zenith", "light"]
    jdb_ids = [r[0] for r in store.rows("SELECT image_id FROM journeydb_images USING SAMPLE 20 ROWS")]
    vg_ids = [r[0] for r in store.rows("SELECT image_id FROM vg_images USING SAMPLE 20 ROWS")]
    return {
        "styles": styles,
        "names": names,
        "attrs": attrs,
        "preds": preds,
        "words": words,
        "jdb_ids": jdb_ids,
        "vg_ids": vg_ids,
    }


def naive_params(p: dict[str, list[Any]]) -> dict[str, list[dict[str, Any]]]:
    """The same parameters in the form benchmarks/naive.py reads."""
    names = p["names"]
    return {
        "jdb.tag_page": [{"styles": [s]} for s in p["styles"]] + [{"styles": p["styles"][:2]}],
        "jdb.tag_facets": [{"kind": k} for k in ("style", "content", "atmosphere")],
        "jdb.text_search": [{"words": w.split()} for w in p["words"]],
        "jdb.sample": [{"image_id": i} for i in p["jdb_ids"][:5]],
        "jdb.stats_page": [{}],
        "vg.objects_and": [{"objects": [a, b]} for a, b in itertools.pairwise(names)],
        "vg.attribute": [{"attribute": a} for a in p["attrs"]],
        "vg.triple": [{"subject_name": names[0], "predicate": None, "object_name": n} for n in names[1:]]
        + [{"predicate": pr} for pr in p["preds"]],
        "vg.image_annotations": [{"image_id": i} for i in p["vg_ids"][:5]],
        # the explorer's vg_filters (explorer_ops): every selection, for each chart and for the whole page
        **{
            f"vg.stats.{name}": [{}, {"objects": [names[0]]}, {"attribute": p["attrs"][1]}]
            for name in naive.VG_STATS_OPS
        },
    }


def explorer_ops(store: Store, p: dict[str, list[Any]]) -> list[tuple[str, Callable[[Any], Any], list[Any], str]]:
    """(name, fn, variants, note) for every user operation, through the page modules where they exist."""
    from explorer.queries import journeydb as jq
    from explorer.queries import stats as sq
    from explorer.queries import visual_genome as vq

    index = TextIndex.for_export(store.data_dir / "journeydb")

    def jdb_page(f: JourneyFilter) -> Any:  # what the gallery calls: the count and the first page
        return jq.gallery_page(store, f, 1, PAGE)

    def jdb_indexed(f: JourneyFilter) -> Any:
        where, params = qfilters.journeydb_where(f, index=index)
        count = store.scalar(jq.IMAGES_COUNT_SQL.format(where=where), params)
        return count, store.rows(jq.IMAGES_PAGE_SQL.format(where=where), [*params, PAGE, 0])

    def vg_page(f: VGFilter) -> Any:
        return vq.gallery_page(store, f, 1, PAGE)

    names, styles = p["names"], p["styles"]
    text_filters = [JourneyFilter(q=w) for w in p["words"]]
    ops: list[tuple[str, Callable[[Any], Any], list[Any], str]] = [
        ("jdb.tag_page", jdb_page, [JourneyFilter(styles=(s,)) for s in styles] + [JourneyFilter(styles=tuple(styles[:2]))],
         "gallery_page: count + page of 48 in one evaluation"),
        ("jdb.tag_facets", lambda k: jq.tag_counts(store, k), ["style", "content", "atmosphere"], "tag_counts"),
        ("jdb.text_search", jdb_page, text_filters,
         "gallery_page: tantivy count + top-48 row ids, then 48 rows" if index else "no text index: ILIKE"),
        ("jdb.text_search+tag", jdb_page, [JourneyFilter(q=w, styles=(styles[0],)) for w in p["words"]],
         "text + style tag: one tantivy query (words and the facet token), then 48 rows"),
        ("jdb.text_search.where_sql", jdb_indexed, text_filters,
         "journeydb_where(index=…) + IMAGES_COUNT/PAGE_SQL (the generic SQL path, e.g. exports)"),
        ("jdb.text_search.index_only", lambda f: index.page(qfilters.search_words(f.q), PAGE) if index else None,
         text_filters, "TextIndex.page: tantivy count + top-48 row ids (text-only fast path)"),
        ("jdb.sample", lambda i: (jq.sample(store, i)), p["jdb_ids"], "sample (one image with its questions)"),
        ("vg.objects_and", vg_page, [VGFilter(objects=(a, b)) for a, b in itertools.pairwise(names)],
         "gallery_page: count + page of 48 in one evaluation of the image-id sets, two objects"),
        ("vg.attribute", vg_page, [VGFilter(attributes=(AttributeFilter(a),)) for a in p["attrs"]]
         + [VGFilter(attributes=(AttributeFilter(p["attrs"][0], names[0]),))], "gallery_page, attribute (and attribute|object)"),
        ("vg.triple", vg_page, [VGFilter(relationships=(Triple(names[0], None, n),)) for n in names[1:]]
         + [VGFilter(relationships=(Triple(None, pr, None),)) for pr in p["preds"]], "gallery_page, triples with wildcards"),
        ("vg.image_annotations", lambda i: vq.image_annotations(store, i), p["vg_ids"], "image_annotations"),
    ]  # fmt: skip
    jdb_filters = [JourneyFilter(), JourneyFilter(styles=(styles[0],)), JourneyFilter(split="valid")]

    def jdb_stats_page(f: JourneyFilter) -> Any:  # every query of the JourneyDB stats page, as it runs them
        sq.count_journeydb_images(store), sq.count_journeydb_images(store, f)
        return (
            [sq.journeydb_counts(store, f, stat) for stat in sq.JDB_STATS],
            sq.journeydb_answers(store, f),
            sq.journeydb_cooccurrence(store, f),
        )

    ops.append(("jdb.stats.page", jdb_stats_page, jdb_filters, "every query of the stats page, in sequence"))
    for stat in sq.JDB_STATS:
        ops.append((f"jdb.stats.{stat}", lambda f, s=stat: sq.journeydb_counts(store, f, s), jdb_filters, "stats"))
    ops.append(("jdb.stats.answers", lambda f: sq.journeydb_answers(store, f), jdb_filters, "stats"))
    ops.append(("jdb.stats.cooccurrence", lambda f: sq.journeydb_cooccurrence(store, f), jdb_filters, "stats"))
    vg_filters = [VGFilter(), VGFilter(objects=(names[0],)), VGFilter(attributes=(AttributeFilter(p["attrs"][1]),))]

    def vg_stats_page(f: VGFilter) -> Any:  # every query of the Visual Genome stats page, as it runs them
        sq.count_vg_images(store), sq.count_vg_images(store, f)
        return (
            [sq.vg_counts(store, f, stat) for stat in sq.VG_STATS],
            sq.vg_box_centres(store, f),
            sq.vg_objects_on_sized_images(store, f),
            sq.vg_object_attributes(store, f),
        )

    ops.append(("vg.stats.page", vg_stats_page, vg_filters, "every query of the stats page, in sequence"))
    for stat in sq.VG_STATS:
        ops.append((f"vg.stats.{stat}", lambda f, s=stat: sq.vg_counts(store, f, s), vg_filters, "stats"))
    ops.append(("vg.stats.box_centres", lambda f: sq.vg_box_centres(store, f), vg_filters, "stats"))
    ops.append(("vg.stats.object_attributes", lambda f: sq.vg_object_attributes(store, f), vg_filters, "stats"))
    return ops


def time_queries(data: Path, repeats: int, report: Report, seed: int) -> dict[str, list[dict[str, Any]]]:
    store = Store(Settings(data_dir=data, query_timeout_s=120))
    params = pick_params(store, random.Random(seed))
    for name, fn, variants, note in explorer_ops(store, params):
        try:
            times = timed(fn, variants, repeats)
        except Exception as err:  # reported, never fatal: the page modules are still being written
            report.ops.append(OpResult(name, float("nan"), float("nan"), 0, None, f"failed: {err}"[:200]))
            continue
        target = QUERY_TARGETS_MS.get(name, STATS_TARGET_MS if ".stats." in name else None)
        report.ops.append(OpResult(name, statistics.median(times), p95(times), len(times), target, note))
    return naive_params(params)


# -- exports ---------------------------------------------------------------------------------------

EXPORT_RSS_BUDGET_MB = 1536  # the app's memory target: an export runs inside the app


def export_cases(p: dict[str, list[Any]]) -> dict[str, tuple[str, str, str, str]]:
    """name -> (dataset, table, format, filter expression): downloads of up to exports.DEFAULT_LIMIT rows."""
    style, name = (p["styles"] or [""])[0], (p["names"] or [""])[0]
    return {
        "jdb images, all → Parquet": ("journeydb", "images", "parquet", "JourneyFilter()"),
        "jdb images + questions, top style → Parquet": (
            "journeydb", "images_questions", "parquet", f"JourneyFilter(styles=({style!r},))"),
        "jdb images, text 'portrait' → CSV": ("journeydb", "images", "csv", "JourneyFilter(q='portrait')"),
        "vg objects, top object → Parquet": ("visual_genome", "objects", "parquet", f"VGFilter(objects=({name!r},))"),
        "vg COCO, all": ("visual_genome", "images", "coco", "VGFilter()"),
    }  # fmt: skip


def export_cmd(data: Path, dataset: str, table: str, fmt: str, filter_expr: str) -> list[str]:
    """A process that writes one export through `explorer.exports.export_view` (as the app's Download does)."""
    code = (
        "import json; from pathlib import Path; from explorer.config import Settings; from explorer.store import Store; "
        "from explorer.filters import JourneyFilter, VGFilter; from explorer.exports import export_view; "
        f"store = Store(Settings(data_dir=Path({str(data)!r}), query_timeout_s=600)); "
        f"out = export_view(store, {dataset!r}, {filter_expr}, table={table!r}, fmt={fmt!r}); "
        "print(json.dumps({'rows': out.rows, 'bytes': out.size})); out.path.unlink()"
    )
    return [sys.executable, "-c", code]


def measure_exports(data: Path, report: Report, seed: int) -> None:
    """Each export in a process of its own: wall time and peak memory."""
    params = pick_params(Store(Settings(data_dir=data)), random.Random(seed))
    for name, case in export_cases(params).items():
        report.exports[name] = run_measured(export_cmd(data, *case), timeout=900)


def _export_size(measured: Measured) -> tuple[int, int] | None:
    """(rows, bytes) from the JSON line an export process prints."""
    try:
        found = json.loads(measured.stdout.strip().splitlines()[-1])
        return int(found["rows"]), int(found["bytes"])
    except (ValueError, IndexError, KeyError, TypeError):
        return None


# -- the app ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree_rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total / (1 << 20)


def measure_app(data: Path, report: Report) -> None:
    """Cold start to the first page rendered, each page's load, and the server's RSS after all pages."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        report.notes.append("playwright not installed: app cold start and RSS not measured.")
        return
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "explorer"), "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.perf_counter() - started > 120 or server.poll() is not None:
                report.notes.append("the app did not answer /_stcore/health within 120 s.")
                return
            time.sleep(0.1)
        report.app["health_s"] = time.perf_counter() - started
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            for n, path in enumerate(PAGES):
                t = time.perf_counter()
                page.goto(base + path, wait_until="domcontentloaded")
                _wait_for_script(page)
                report.app[f"page {path} s"] = time.perf_counter() - t
                if n == 0:
                    report.app["cold_start_s"] = time.perf_counter() - started
            browser.close()
        time.sleep(1)
        report.app["rss_after_pages_mb"] = tree_rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_for_script(page: Any, timeout_ms: int = 120_000) -> None:
    """Until the page's script has run: the app body is drawn and Streamlit's running indicator is gone."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] >> nth=0', timeout=timeout_ms)
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout_ms,
    )


# -- the naive baseline ----------------------------------------------------------------------------


def run_naive(raws: dict[str, Path], params: dict[str, list[dict[str, Any]]], out: Path, report: Report) -> None:
    params_path = out / "naive-params.json"
    params_path.write_text(json.dumps(params), encoding="utf-8")
    naive_p95: dict[str, float] = {}
    for dataset, raw in raws.items():
        measured = run_measured([sys.executable, "-m", "benchmarks.naive", dataset, str(raw), str(params_path)])
        report.naive[dataset] = measured
        if measured.ok:
            result = json.loads(measured.stdout.strip().splitlines()[-1])
            measured.seconds = result["load_s"]  # load only; the op timings are reported per op
            naive_p95.update({name: r["p95"] for name, r in result["ops"].items()})
        else:
            report.notes.append(f"naive {dataset} failed: {measured.error[-300:]}")
    # JourneyDB's naive stats page is one op (its ~20 s load dwarfs any split); each explorer jdb.stats.* op is
    # compared with it. Visual Genome's are compared chart by chart (naive.VG_STATS_OPS).
    aliases = {"jdb.stats_page": "jdb.stats."}
    for op in report.ops:
        key = op.name
        for naive_name, prefix in aliases.items():
            if key.startswith(prefix):
                key = naive_name
        if key in naive_p95:
            op.naive_p95 = naive_p95[key]


# -- report ----------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cores": str(psutil.cpu_count()),
        "ram": f"{psutil.virtual_memory().total / (1 << 30):.1f} GB",
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "os": platform.platform(),
        "load": f"{os.getloadavg()[0]:.2f}",  # 1-minute load average when the run starts
    }


def _met(value: float | None, target: float | None, *, at_most: bool = True) -> str:
    if value is None or target is None or value != value:
        return "–"
    return "yes" if (value <= target if at_most else value >= target) else "**no**"


def render(report: Report) -> str:
    m = report.machine
    lines = [
        "# Benchmark results",
        "",
        f"Scale {report.scale:g} ({_sizes_text(report.scale)}), run {report.started}.",
        f"Machine: {m['cores']} cores, {m['ram']} RAM, {m['cpu']}; Python {m['python']}, DuckDB {m['duckdb']}; "
        f"{m['os']}. Load average (1 min) at the start: {m.get('load', '?')}; other work on the machine makes "
        "timings noisy.",
        "",
        "Generated by `make bench SCALE=…` (`python -m benchmarks.run`); raw data from `benchmarks/generate.py` "
        "(no image files: width/height stay null). Query timings: p50/p95 in ms over varied parameters; "
        "naive = json + pandas in memory (`benchmarks/naive.py`) on the same data.",
        "",
        "## Ingest",
        "",
        "| figure | explorer | target | met? | naive | ratio (naive / explorer) | target | met? |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for dataset in ("journeydb", "visual_genome"):
        e = report.ingest.get(dataset)
        n = report.naive.get(dataset)
        if e is None:
            continue
        if not e.ok:
            lines.append(f"| {dataset} ingest | failed: {e.error[-120:]!r} | | | | | | |")
            continue
        t_ratio = n.seconds / e.seconds if n and n.ok else None
        m_ratio = n.peak_rss_mb / e.peak_rss_mb if n and n.ok else None
        lines.append(
            f"| {dataset} time | {e.seconds:.1f} s | ≤ 60 s (scale 1) | {_met(e.seconds, 60) if report.scale >= 1 else '–'} "
            f"| {f'{n.seconds:.1f} s' if n and n.ok else 'n/a'} | {f'{t_ratio:.1f}×' if t_ratio else 'n/a'} | ≥ 5× "
            f"| {_met(t_ratio, 5, at_most=False)} |"
        )
        lines.append(
            f"| {dataset} peak RSS | {e.peak_rss_mb:,.0f} MB | ≤ 2048 MB | {_met(e.peak_rss_mb, 2048)} "
            f"| {f'{n.peak_rss_mb:,.0f} MB' if n and n.ok else 'n/a'} | {f'{m_ratio:.1f}×' if m_ratio else 'n/a'} "
            f"| ≥ 4× | {_met(m_ratio, 4, at_most=False)} |"
        )
    for dataset in ("journeydb", "visual_genome"):
        steps = _ingest_steps(report.ingest.get(dataset))
        if steps:
            text = slowest_steps(steps, 6)
            meanwhile = " (the text index builds on a thread meanwhile)" if dataset == "journeydb" else ""
            lines += ["", f"Slowest {dataset} ingest steps{meanwhile}: {text}."]
    lines += [
        "",
        "## Queries",
        "",
        "| operation | p50 ms | p95 ms | runs | target p95 | met? | naive p95 ms | not slower than naive? | how |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for op in report.ops:
        slower = "–" if op.naive_p95 is None or op.p95 != op.p95 else ("yes" if op.p95 <= op.naive_p95 else "**no**")
        naive = f"{op.naive_p95:.1f}" if op.naive_p95 is not None else ""
        lines.append(
            f"| {op.name} | {op.p50:.1f} | {op.p95:.1f} | {op.n} | {f'≤ {op.target:g}' if op.target else ''} "
            f"| {_met(op.p95, op.target)} | {naive} | {slower} | {op.note} |"
        )
    if report.exports:
        lines += [
            "",
            "## Exports",
            "",
            f"Each in a process of its own through `export_view` (as the app's Download), at most "
            f"{exports.DEFAULT_LIMIT:,} rows (images, for COCO). The memory budget is the app's.",
            "",
            "| export | rows | file | time | peak RSS | budget | met? |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, m in report.exports.items():
            size = _export_size(m) if m.ok else None
            if size is None:
                lines.append(f"| {name} | failed: {m.error[-120:]!r} | | | | | |")
                continue
            lines.append(
                f"| {name} | {size[0]:,} | {size[1] / (1 << 20):,.1f} MB | {m.seconds:.1f} s | {m.peak_rss_mb:,.0f} MB "
                f"| ≤ {EXPORT_RSS_BUDGET_MB} MB | {_met(m.peak_rss_mb, EXPORT_RSS_BUDGET_MB)} |"
            )
    if report.app:
        lines += ["", "## App", "", "| figure | value | target | met? |", "|---|---|---|---|"]
        for key, value in report.app.items():
            if key == "rss_after_pages_mb":
                lines.append(f"| server RSS after every page | {value:,.0f} MB | ≤ 1536 MB | {_met(value, 1536)} |")
            else:
                lines.append(f"| {key} | {value:.2f} s | | |")
    if report.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def _ingest_steps(measured: Measured | None) -> dict[str, float]:
    """Seconds per ingest step, from the JSON line the ingest subprocess prints last."""
    if measured is None or not measured.ok or not measured.stdout.strip():
        return {}
    try:
        steps = json.loads(measured.stdout.strip().splitlines()[-1])
    except ValueError:
        return {}
    return {str(k): float(v) for k, v in steps.items()} if isinstance(steps, dict) else {}


def _sizes_text(scale: float) -> str:
    sizes = generate.sizes_for(scale)
    return f"{sum(sizes.jdb.values()):,} JourneyDB records, {sizes.vg_images:,} Visual Genome images"


def to_json(report: Report) -> dict[str, Any]:
    return {
        "scale": report.scale,
        "started": report.started,
        "machine": report.machine,
        "ingest": {k: vars(v) | {"stdout": ""} for k, v in report.ingest.items()},
        "naive": {k: vars(v) | {"stdout": ""} for k, v in report.naive.items()},
        "ops": [vars(o) for o in report.ops],
        "app": report.app,
        "exports": {k: vars(v) for k, v in report.exports.items()},
        "notes": report.notes,
    }


# -- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description="Benchmark the explorer against the naive json+pandas baseline.")
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each parameter variant")
    parser.add_argument("--no-app", action="store_true", help="skip the app cold start / RSS measurement")
    parser.add_argument("--no-naive", action="store_true", help="skip the json+pandas baseline")
    parser.add_argument(
        "--naive-datasets",
        default="journeydb,visual_genome",
        help="the datasets the baseline runs on, comma-separated (its JourneyDB load needs ~23 GB at scale 1)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated raw data and export")
    args = parser.parse_args(argv)
    naive_sets = [d for d in args.naive_datasets.split(",") if d]
    if unknown := sorted(set(naive_sets) - set(DATASETS)):
        parser.error(f"--naive-datasets: unknown dataset {', '.join(unknown)} ({', '.join(DATASETS)})")

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    report = Report(args.scale, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), machine())
    raw = out / f"raw-{args.scale:g}"
    data = out / f"data-{args.scale:g}"
    marker = raw / ".complete"
    if not marker.exists():
        shutil.rmtree(raw, ignore_errors=True)
        started = time.perf_counter()
        generate.generate_journeydb(raw / "journeydb", args.scale, args.seed)
        generate.generate_visual_genome(raw / "visual_genome", args.scale, args.seed)
        report.notes.append(f"raw data generated in {time.perf_counter() - started:.1f} s.")
        marker.write_text("ok", encoding="utf-8")
    raws = {"journeydb": raw / "journeydb", "visual_genome": raw / "visual_genome"}
    for dataset, source in raws.items():
        measured = run_measured(ingest_cmd(dataset, source, data))
        report.ingest[dataset] = measured
        print(
            f"ingest {dataset}: {measured.seconds:.1f} s, {measured.peak_rss_mb:,.0f} MB, ok={measured.ok}", flush=True
        )
        if not measured.ok:
            print(measured.error, file=sys.stderr)
    if all(m.ok for m in report.ingest.values()):
        params = time_queries(data, args.repeats, report, args.seed)
        measure_exports(data, report, args.seed)
        if not args.no_app:
            measure_app(data, report)
        naive_raws = {d: raws[d] for d in naive_sets}
        if not args.no_naive and naive_raws:
            run_naive(naive_raws, params, out, report)
    else:
        report.notes.append("an ingest failed: queries, app and baseline not measured.")
    (out / f"results-{args.scale:g}.json").write_text(json.dumps(to_json(report), indent=2), encoding="utf-8")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(render(report), encoding="utf-8")
    print(render(report))
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    return report


if __name__ == "__main__":
    main()
