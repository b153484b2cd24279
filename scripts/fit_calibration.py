"""Fit lexicons/calibration.json: the probability that an edit is right, from its evidence.

The engine runs over the TUNE part of every real set of `bench.real` (real subtitle and
scene-text OCR, two engines on the same films, editions, clean prose, the multi-witness news
set) proposing every candidate (``--propose-from 0``: windows the variant bounds hold back
too), and every content edit is labelled right or wrong against the gold text
(`bench.real_metrics.label_edit`: applying it alone brings the text closer to the gold). The
report parts are never read here. The OCR channel is fitted on the same tune parts, so it is
cross-fitted: each half of those sets is judged with a channel fitted on the other half
(`labelled_edits`), as the report parts and the user's text will be, with a channel that
never saw them.

For each model (the rules of one kind of evidence share it; `MODELS`) and each kind of page
(short lines of subtitles and signs, prose: `jiaokan.calibration.page_kind`) a logistic regression
over the named evidence is fitted with scikit-learn (build-time only); its weights are written
to the file and applied by `jiaokan.calibration` with a dot product. Then, from out-of-fold
predictions (5 folds, documents kept whole), each model's auto-apply threshold for each kind of
page: the lowest confidence at which its applied edits on such pages are at least
`REQUIRED_PRECISION` right on every tune set (one model's edits are judged alike, whatever set
they come from: on every set the applied edits are then at least that right, since each rule's
are). The variant bounds (`jiaokan.consensus`) are fitted from the same edits: the least likely OCR
mistake that the right consensus edits still make (its `FLOOR_QUANTILE`), and
the damage signs that no editorial block (a wrong ``replaced_block``) shows.

    .venv/bin/pip install -e '.[bench]' scikit-learn   # build-time only
    .venv/bin/python scripts/fit_calibration.py        # ~10 min on 2 cores; writes lexicons/calibration.json

The file records what each model was fitted on (examples, right ones, by set) and the
out-of-fold reliability (expected calibration error) per set.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "service"), str(ROOT)]

from bench.real import SETS as BENCH_SETS, collect_labelled_edits  # noqa: E402
from bench.real_data import sha1_half  # noqa: E402
from bench.real_metrics import calibration_table  # noqa: E402

OUTPUT = ROOT / "lexicons" / "calibration.json"
#: the tune sets the fit reads (the seeds have no gold)
SETS = tuple(name for name in BENCH_SETS if name != "seeds")
#: the sets whose tune parts the OCR channel is fitted on (`scripts/fit_channel.py`)
CHANNEL_SETS = ("subtitle-ocr", "scene-text", "two-engine")
#: what kind of page an edit is on (`jiaokan.evidence.page_evidence`)
PAGE_FEATURES = ("page_length", "line_length")
CONSENSUS_FEATURES = ("channel", "language", "words", "weakest", "mistakes", "votes", "copies", "copies_for", "copies_against",
                      "length", "marks_only", "digits", "domain_term", "tie", "own_printed", "spaced", "lost_line", *PAGE_FEATURES)
#: model -> (the rules it judges, the evidence it reads)
MODELS = {
    "substitution": (("fix_lookalike", "match_domain_term"),
                     ("channel", "language", "words", "printed", "own_printed", "name", "observed_frequency", "fix_frequency", "nearby",
                      "domain_term", "confirmed", "dropped", *PAGE_FEATURES)),
    "remove_doubled_character": (("remove_doubled_character",), ("channel", "language", "words", "pair_word", "run", "own_printed", "others",
                                                                 *PAGE_FEATURES)),
    "fix_swapped_characters": (("fix_swapped_characters",), ("channel", "language", "words", "lone", *PAGE_FEATURES)),
    "drop_repeated_sentence": (("drop_repeated_sentence",), ("length", "separated")),
    "majority_reading": (("majority_reading",), CONSENSUS_FEATURES),
    "lexicon_reading": (("lexicon_reading",), CONSENSUS_FEATURES),
    # few blocks pass the damage bounds: a few signs, not every number, or the fit learns noise
    "replaced_block": (("replaced_block",), ("copies", "copies_for", "repeat", "found_elsewhere", "moved")),
}
#: a model needs this many examples of each label to weigh evidence (else it is a constant: `constant_model`)
MINIMUM_EACH = 5
#: applied edits must be at least this right on every tune set but the clean ones (where every
#: edit is wrong: their count is reported)
REQUIRED_PRECISION = 0.98
CLEAN_SETS = ("clean-prose",)
#: no rule applies unreviewed an edit its model holds more than one time in ten to be wrong,
#: however right such edits turned out on the tune sets
MINIMUM_THRESHOLD = 0.9
#: a set with fewer applied edits than this may have at most one wrong
SMALL_SET = 50
#: the share of right consensus edits whose least likely mistake may fall below the variant floor
FLOOR_QUANTILE = 0.005
FOLDS = 5
#: the most examples one set counts for in a model's fit
SET_SHARE = 2000


def labelled_edits(workdir: Path, workers: int, quick: bool) -> list:
    """Every content edit of every tune set, labelled (`bench.real.LabelledEdit`), cross-fitted:
    the sets the OCR channel is fitted on are judged half by half (`bench.real_data.fitting_half`),
    each with a channel fitted without that half, so that no edit's evidence rests on a
    confusion seen at that very place."""
    edits = []
    for half in ("a", "b"):
        with _channel_without(half, workdir):
            for set_name in SETS if half == "a" else CHANNEL_SETS:
                found = collect_labelled_edits(set_name, "tune", workdir / f"{set_name}-{half}", workers=workers, quick=quick,
                                               clean_options=("--propose-from", "0"))
                if set_name in CHANNEL_SETS:
                    found = [edit for edit in found if sha1_half(edit.gold_sha1) == half]
                print(f"  {set_name} (channel without half {half}): {len(found)} edits, {sum(edit.right for edit in found)} right", flush=True)
                edits += found
    return edits


@contextlib.contextmanager
def _channel_without(half: str, workdir: Path):
    """The lexicon folder, its channel fitted without ``half`` of the tune pairs, as the engine's
    (``JIAOKAN_LEXICON_DIR``, which the engine runs started meanwhile inherit)."""
    from jiaokan.resources import lexicon_directory

    folder = workdir / f"lexicons-without-{half}"
    folder.mkdir(parents=True, exist_ok=True)
    for path in lexicon_directory().iterdir():
        if path.is_file() and path.name != "channel.json":
            shutil.copy2(path, folder / path.name)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_channel.py"), "--leave-out", half, "--output", str(folder / "channel.json")],
                   check=True, capture_output=True)
    previous = os.environ.get("JIAOKAN_LEXICON_DIR")
    os.environ["JIAOKAN_LEXICON_DIR"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["JIAOKAN_LEXICON_DIR"]
        else:
            os.environ["JIAOKAN_LEXICON_DIR"] = previous


def model_of(rule: str) -> str | None:
    return next((model for model, (rules, _) in MODELS.items() if rule in rules), None)


def features(edit: dict, names) -> list[float]:
    evidence = edit.edit["evidence"]
    return [float(evidence.get(name, 0.0)) for name in names]


def gated(edit) -> bool:
    """Held back as a variant whatever its confidence (never applied)."""
    return "variant" in edit.edit["evidence"]


def fit_model(examples: list, names) -> tuple[dict, np.ndarray] | None:
    """(the model's entry, out-of-fold probabilities) or None when the examples are too few."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    X = np.array([features(edit, names) for edit in examples])
    y = np.array([edit.right for edit in examples])
    if not len(y):
        return None
    if min(y.sum(), (~y).sum()) < MINIMUM_EACH:
        return constant_model(examples, y)
    groups = np.array([f"{edit.set_name}/{edit.document}" for edit in examples])
    weights = set_weights(examples)
    out_of_fold = np.zeros(len(y))
    folds = min(FOLDS, len(set(groups)))
    for train, test in GroupKFold(n_splits=folds).split(X, y, groups):
        if len(set(y[train])) < 2:
            out_of_fold[test] = y[train].mean()
            continue
        fold_model = LogisticRegression(C=1.0, max_iter=5000).fit(X[train], y[train], sample_weight=weights[train])
        out_of_fold[test] = fold_model.predict_proba(X[test])[:, 1]
    model = LogisticRegression(C=1.0, max_iter=5000).fit(X, y, sample_weight=weights)
    entry = {
        "features": list(names),
        "coefficients": [round(float(value), 5) for value in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 5),
        "examples": int(len(y)),
        "right": int(y.sum()),
        "by_set": dict(sorted(Counter(edit.set_name for edit in examples).items())),
    }
    return entry, out_of_fold


def fit_by_page_kind(examples: list, names) -> tuple[dict, list, np.ndarray] | None:
    """A model for each kind of page (`jiaokan.calibration.page_kind`): (the prose model's entry
    with the short-lines model inside, the examples in the order of their out-of-fold
    probabilities, those probabilities), or None when there are no examples. A kind without
    examples has no model (the prose model judges it)."""
    from jiaokan.calibration import PROSE, SHORT_LINES, page_kind

    by_kind = {kind: [edit for edit in examples if page_kind(edit.edit["evidence"]) == kind] for kind in (PROSE, SHORT_LINES)}
    fitted = {kind: fit_model(kind_examples, names) for kind, kind_examples in by_kind.items()}
    if all(model is None for model in fitted.values()):
        return None
    prose = fitted[PROSE] or fitted[SHORT_LINES]
    entry = dict(prose[0])
    if fitted[PROSE] is not None and fitted[SHORT_LINES] is not None:
        entry[SHORT_LINES] = fitted[SHORT_LINES][0]
    ordered = [edit for kind in (PROSE, SHORT_LINES) if fitted[kind] is not None for edit in by_kind[kind]]
    probabilities = np.concatenate([fitted[kind][1] for kind in (PROSE, SHORT_LINES) if fitted[kind] is not None])
    return entry, ordered, probabilities


def constant_model(examples: list, y: np.ndarray) -> tuple[dict, np.ndarray]:
    """Too few examples of one label to weigh evidence: the share of right ones as a constant
    (with a uniform prior: (right + 1) / (examples + 2)), the same for every edit of the rule."""
    share = (y.sum() + 1) / (len(y) + 2)
    entry = {"features": [], "coefficients": [], "intercept": round(float(np.log(share / (1 - share))), 5),
             "examples": int(len(y)), "right": int(y.sum()), "by_set": dict(sorted(Counter(edit.set_name for edit in examples).items()))}
    return entry, np.full(len(y), share)


def set_weights(examples: list) -> np.ndarray:
    """Each example's weight: a set with more than `SET_SHARE` examples of a model weighs as if it
    had that many (the synthetic news set would otherwise teach the model its own noise rate)."""
    counts = Counter(edit.set_name for edit in examples)
    return np.array([min(1.0, SET_SHARE / counts[edit.set_name]) for edit in examples])


#: the thresholds tried, lowest first: steps of 0.01 from `MINIMUM_THRESHOLD`, then finer near 1
THRESHOLD_GRID = (*np.arange(MINIMUM_THRESHOLD, 0.995, 0.01), 0.995, 0.998, 0.999)
#: above every confidence: a rule no threshold makes precise enough is never applied without review
NEVER = 1.01


def choose_threshold(examples: list, probabilities: np.ndarray) -> float:
    """The lowest confidence of `THRESHOLD_GRID` at which every tune set's applied edits are at
    least `REQUIRED_PRECISION` right (a small set: at most one wrong); `NEVER` when none is."""
    by_set = defaultdict(list)
    for edit, probability in zip(examples, probabilities):
        if not gated(edit) and edit.set_name not in CLEAN_SETS:
            by_set[edit.set_name].append((probability, edit.right))
    for threshold in THRESHOLD_GRID:
        if all(_precise_enough([right for probability, right in items if probability >= threshold]) for items in by_set.values()):
            return round(float(threshold), 3)
    return NEVER


def thresholds_by_page_kind(examples: list, probabilities: np.ndarray) -> tuple[float, float | None]:
    """Each kind of page's threshold (`choose_threshold` over its own pages' edits): prose, and
    short lines where the tune sets have edits of the model on such pages that it applies (else
    None: the prose threshold holds there too)."""
    from jiaokan.calibration import PROSE, page_kind

    kinds = np.array([page_kind(edit.edit["evidence"]) for edit in examples])
    chosen = {}
    for kind in set(kinds):
        members = [index for index, edit in enumerate(examples) if kinds[index] == kind and edit.set_name not in CLEAN_SETS]
        threshold = choose_threshold([examples[index] for index in members], probabilities[members]) if members else NEVER
        if kind == PROSE or (probabilities[members] >= threshold).any():  # (a threshold no tune edit reaches says nothing)
            chosen[kind] = threshold
    prose = chosen.pop(PROSE, None)
    short_lines = next(iter(chosen.values()), None)
    return (prose if prose is not None else short_lines if short_lines is not None else NEVER), short_lines


def _precise_enough(rights: list[bool]) -> bool:
    wrong = len(rights) - sum(rights)
    return wrong <= 1 if len(rights) < SMALL_SET else sum(rights) / len(rights) >= REQUIRED_PRECISION


#: the share of the proposed look-alike fixes a candidate floor may cut
CANDIDATE_LOSS = 0.001


def candidate_floors(edits: list, models: dict) -> dict:
    """The word model's least preference for a misread word's fix worth judging: the highest
    floor that cuts at most `CANDIDATE_LOSS` of the candidates the fitted model would propose
    (the engine then skips the language model and the channel for the rest)."""
    from jiaokan.calibration import Calibration
    from jiaokan.config import DEFAULT_CONFIG

    calibration = Calibration({"rules": models})
    proposed = sorted(edit.edit["evidence"]["words"] for edit in edits if edit.edit["rule"] == "fix_lookalike"
                      and calibration.confidence("fix_lookalike", edit.edit["evidence"]) >= DEFAULT_CONFIG.proposal_threshold)
    floor = proposed[int(CANDIDATE_LOSS * len(proposed))] if proposed else 0.0
    return {"word_gain_floor": round(max(0.0, float(floor) - 0.01), 3), "fitted_on": {"proposed_lookalike_fixes": len(proposed)}}


def variant_bounds(edits: list) -> dict:
    """The variant floor and the damage signs of replaced blocks (`jiaokan.consensus`)."""
    explained = sorted(edit.edit["evidence"]["weakest"] for edit in edits
                       if edit.right and edit.edit["rule"] in ("majority_reading", "lexicon_reading"))
    floor = explained[int(FLOOR_QUANTILE * len(explained))] if explained else -7.0
    blocks = [edit.edit["evidence"] for edit in edits if edit.edit["rule"] == "replaced_block"]
    editorial = [evidence for edit, evidence in zip([e for e in edits if e.edit["rule"] == "replaced_block"], blocks) if not edit.right]
    garbled = max((evidence["garbled"] for evidence in editorial), default=1.0)
    edges = max((evidence["edges"] for evidence in editorial), default=3.0)
    return {"floor": round(float(floor), 3), "garbled_rate": round(float(garbled) + 0.01, 3), "edge_margin": round(float(edges) + 0.01, 3),
            "fitted_on": {"right_consensus_edits": len(explained), "editorial_blocks": len(editorial)}}


def reliability_by_set(examples: list, probabilities: np.ndarray) -> dict:
    by_set = defaultdict(list)
    for edit, probability in zip(examples, probabilities):
        if not gated(edit):
            by_set[edit.set_name].append((float(probability), edit.right))
    return {name: calibration_table(items) for name, items in sorted(by_set.items())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="small samples (to check the script)")
    parser.add_argument("--edits", type=Path, help="read the labelled edits from this JSON file instead of running the engine")
    parser.add_argument("--save-edits", type=Path, help="write the labelled edits to this JSON file")
    options = parser.parse_args(argv)
    if options.edits:
        from bench.real import LabelledEdit

        edits = [LabelledEdit(**item) for item in json.loads(options.edits.read_text(encoding="utf-8"))]
    else:
        with tempfile.TemporaryDirectory(prefix="jiaokan-fit-") as workdir:
            edits = labelled_edits(Path(workdir), options.workers, options.quick)
    if options.save_edits:
        options.save_edits.write_text(json.dumps([edit._asdict() for edit in edits], ensure_ascii=False), encoding="utf-8")
    models, thresholds, short_lines_thresholds, all_examples, all_probabilities = {}, {}, {}, [], []
    for model_name, (rules, names) in MODELS.items():
        # what the variant bounds hold back never becomes an edit: the models judge the rest
        examples = [edit for edit in edits if edit.edit["rule"] in rules and not gated(edit)]
        fitted = fit_by_page_kind(examples, names)
        print(f"{model_name}: {len(examples)} examples, {sum(edit.right for edit in examples)} right" + ("" if fitted else " — none: not fitted"))
        if fitted is None:
            continue
        entry, examples, probabilities = fitted
        threshold, short_lines_threshold = thresholds_by_page_kind(examples, probabilities)
        for rule in rules:
            models[rule] = entry | {"model": model_name}
            thresholds[rule] = threshold
            if short_lines_threshold is not None:
                short_lines_thresholds[rule] = short_lines_threshold
        print(f"  auto-apply threshold {threshold} (prose), {short_lines_threshold} (short lines)")
        all_examples += examples
        all_probabilities += list(probabilities)
    probabilities = np.array(all_probabilities)
    parameters = {
        "about": "logistic models of P(edit right | evidence) by rule and each rule's auto-apply threshold, fitted by "
                 "scripts/fit_calibration.py on the tune parts of bench.real's sets; see jiaokan.calibration",
        "thresholds": thresholds,
        "short_lines_thresholds": short_lines_thresholds,
        "candidates": candidate_floors(edits, models),
        "variant": variant_bounds(edits),
        "rules": models,
        "out_of_fold_reliability": reliability_by_set(all_examples, probabilities),
    }
    options.output.write_text(json.dumps(parameters, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{options.output}: variant bounds {parameters['variant']}")
    for name, table in parameters["out_of_fold_reliability"].items():
        print(f"  {name}: ECE {table.get('expected_calibration_error')}")


if __name__ == "__main__":
    main()
