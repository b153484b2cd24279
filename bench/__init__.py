"""jiaokan benchmarks: real data, quality, speed, scale, API and peers; `python -m bench.run_all` runs them all.

Convention: every benchmark module here has ``main(argv: list[str] | None = None) -> dict`` returning
its figures as a JSON-ready dict (and printing a human table); `bench.run_all` calls each that exists.
"""

import json
from pathlib import Path


def write_json(results: dict, destination: Path) -> None:
    """A benchmark's figures as JSON: to standard output for ``-``, else to the file."""
    text = json.dumps(results, ensure_ascii=False, indent=2)
    if str(destination) == "-":
        print(text)
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(text + "\n", encoding="utf-8")
