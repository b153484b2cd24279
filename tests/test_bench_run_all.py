"""bench.run_all: a run of some benchmarks keeps the other sections of docs/benchmarks.md."""
import sys
from pathlib import Path

# bench/ is a top-level folder of the repository, not part of the installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run_all import BENCHMARKS, earlier_sections, render_markdown  # noqa: E402

FACTS = {"date": "2026-12-08", "commit": "abc1234", "cpus": 2, "cpu": "test", "memory": "1 GiB", "python": "3", "platform": "linux"}


def test_only_keeps_the_sections_of_the_benchmarks_it_did_not_run(tmp_path):
    skipped = {"status": "skipped", "argv": []}
    results = {name: skipped for name in BENCHMARKS}
    results["bench_linear"] = {"status": "ok", "argv": [], "seconds": 3.0, "figures": {}, "printed": "linear now\n"}
    earlier = render_markdown(results | {"bench_api": {"status": "ok", "argv": [], "seconds": 5.0, "figures": {}, "printed": "api then\n"}},
                              "python -m bench.run_all", FACTS, None)
    document = tmp_path / "benchmarks.md"
    document.write_text(earlier, encoding="utf-8")
    kept = earlier_sections(document)
    assert "api then" in kept[BENCHMARKS["bench_api"][0]]
    rewritten = render_markdown(results, "python -m bench.run_all --only bench_linear", FACTS, None, kept_sections=kept)
    assert "api then" in rewritten and "linear now" in rewritten
    assert rewritten.count("## ") == earlier.count("## ")
    assert "Not run by this command" in render_markdown(results, "python -m bench.run_all --only bench_linear", FACTS, None)
