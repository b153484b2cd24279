"""Every operation of the OpenAPI document, fuzzed by schemathesis on SQLite and on PostgreSQL:
valid and invalid requests, every check schemathesis has (no server error, status codes,
content types, headers and bodies as documented, invalid data refused, valid data accepted):
no failure on either database.

Bounded: ``SCHEMATHESIS_EXAMPLES`` examples per operation and generation mode (environment
variable of the same name to change it), so the suite stays within a minute or two.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))


@dataclass
class Tally:
    """Cases run and failures found, per operation."""

    cases: int = 0
    failures: dict[str, str] = field(default_factory=dict)


def fuzz_operation(operation, mode, tally: Tally) -> None:
    """Run ``EXAMPLES`` cases of ``operation`` in ``mode``; a failed check is recorded, not raised."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        tally.cases += 1
        case.call_and_validate()

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters, no body)
        pass
    except (Exception, BaseExceptionGroup) as error:  # a failed check: go on, to report every operation
        tally.failures[f"{operation.label} ({mode.value})"] = str(error)[:2000]


def test_schemathesis_finds_nothing(database_url, make_settings, capsys):
    import schemathesis
    from schemathesis import GenerationMode

    from jiaokan.api.app import create_app

    app = create_app(make_settings(database_url, correct_time_budget=60.0))
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        tally = Tally()
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz_operation(operation, mode, tally)
    finally:
        app.state.engine_lane.close()
        app.state.engine.dispose()
    database = database_url.split(":", 1)[0]
    with capsys.disabled():
        print(f"\nschemathesis on {database}: {tally.cases} cases, {len(tally.failures)} failures")
    assert tally.cases > 0
    assert not tally.failures, "\n\n".join(f"{label}:\n{message}" for label, message in tally.failures.items())
