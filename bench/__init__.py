"""jiaokan benchmarks: quality, speed, scale, API and peers; `python -m bench.run_all` runs them all.

Convention: every benchmark module here has ``main(argv: list[str] | None = None) -> dict`` returning
its figures as a JSON-ready dict (and printing a human table); `bench.run_all` calls each that exists.
"""
