"""A correction right after a lexicon change, measured from outside a real ``jiaokan serve``.

Starts the server (`bench.bench_api.start_server`: a temporary SQLite store, a free port, one
worker), warms it with 2 KB corrections, then for each term below adds it through
``POST /v1/lexicon/terms`` and at once times a 2 KB ``POST /v1/correct`` (the issue's target:
under 0.5 s; before, the tables were rebuilt on the request path: 6.9-7.5 s). It then asks
again every half second with a text that misreads the term, until the correction reads the
term (how long the new lexicon takes to be served: it is prepared in the background), and
reports how much the table cache (``JIAOKAN_CACHE_DIR``, else ``~/.cache/jiaokan``) grew for
that lexicon state (before: about 59 MB for each).

    python -m bench.bench_lexicon_change
    python -m bench.bench_lexicon_change --json /tmp/lexicon.json
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench/ is a folder of the repository, not of the installed package

from bench import write_json  # noqa: E402
from bench.bench_api import _one_request, free_port, sample_text, start_server  # noqa: E402

#: term -> a text that misreads it (None: the term corrects no look-alike of its own; only timed)
TERMS = {
    "墨子巡天望远镜": "新建的墨子巡夭望远镜性能优良。",
    "北斗导航星座": "会上介绍了北斗寻航星座的进展。",
    "云原生架构": "会上介绍了云原生架枃的进展。",
    "长征火箭": "会上介绍了长怔火箭的进展。",  # four characters: the table of misread words is rebuilt
    "天宫": None,  # two characters: the tables of two-character words are rebuilt
}
#: how long to wait for a term to be served
SERVED_WITHIN = 300.0


def cache_bytes() -> int:
    """The size of the engine's table cache folder."""
    from jiaokan.cache import cache_directory

    folder = cache_directory()
    return sum(path.stat().st_size for path in folder.glob("*.pickle")) if folder and folder.is_dir() else 0


def post(port: int, path: str, payload: dict) -> tuple[int, dict, float]:
    """(status, JSON answer, seconds) of one POST."""
    started = time.perf_counter()
    status, body = asyncio.run(_one_request(port, "POST", path, json.dumps(payload, ensure_ascii=False).encode()))
    return status, json.loads(body or b"{}"), time.perf_counter() - started


def measure_term(port: int, term: str, probe: str | None, text: str) -> dict:
    """Add ``term``, time the correction right after, wait until ``probe`` is corrected with it."""
    before = cache_bytes()
    status, _, _ = post(port, "/v1/lexicon/terms", {"term": term})
    if status not in (200, 201):
        raise RuntimeError(f"adding {term} answered {status}")
    status, _, right_after = post(port, "/v1/correct", {"text": text})
    if status != 200:
        raise RuntimeError(f"the correction after adding {term} answered {status}")
    served_after = None
    started = time.perf_counter()
    while probe is not None and time.perf_counter() - started < SERVED_WITHIN:
        status, answer, _ = post(port, "/v1/correct", {"text": probe})
        if status == 200 and term in answer["text"]:
            served_after = time.perf_counter() - started
            break
        time.sleep(0.5)
    if probe is None:
        time.sleep(20)  # let the preparation finish before the cache is measured
    return {"term": term, "correction_right_after_seconds": round(right_after, 3),
            "served_after_seconds": None if served_after is None else round(served_after, 1),
            "cache_growth_megabytes": round((cache_bytes() - before) / 1e6, 1)}


def main(argv: list[str] | None = None) -> dict:
    """Run the measurement, print a line per term, return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None, help="write the figures here (- for standard output)")
    arguments = parser.parse_args(argv)
    text = sample_text()
    results: dict = {"terms": []}
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        server = start_server(port, 1, Path(folder))
        try:
            warm = [post(port, "/v1/correct", {"text": text})[2] for _ in range(3)]
            results["warm_correction_seconds"] = round(min(warm), 3)
            print(f"warm 2 KB correction: {min(warm):.3f} s", flush=True)
            for term, probe in TERMS.items():
                figures = measure_term(port, term, probe, text)
                results["terms"].append(figures)
                print(f"{term}: correction right after {figures['correction_right_after_seconds']:.3f} s, "
                      f"served after {figures['served_after_seconds']} s, cache +{figures['cache_growth_megabytes']} MB", flush=True)
        finally:
            server.terminate()
            server.wait(30)
    if arguments.json:
        write_json(results, arguments.json)
    return results


if __name__ == "__main__":
    main()
