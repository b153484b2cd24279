"""Where the corpus stages lived before the engine package: kept so that older imports
(``from jiaokan.pipeline import estimate_reliability``) keep working.

The stages are in `jiaokan.engine.stages`; the runners that order them are
`jiaokan.runners.local` and `jiaokan.runners.dask`.
"""
from jiaokan.engine.stages import (  # noqa: F401
    MINIMUM_AGREEMENT, STAGE_RANK, collect_readings, estimate_reliability, finish_document, gather_confirmed_terms, settled_units,
    warm_up,
)
from jiaokan.runners.local import run_corpus  # noqa: F401
