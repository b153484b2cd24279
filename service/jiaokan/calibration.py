"""Calibrated confidence: the probability that an edit is right, from the evidence it carries.

Each rule's edits carry their evidence as numbers (`jiaokan.evidence`: what the OCR channel,
the language model, the word model and the copies say, and a few facts of the place). A
logistic model per rule turns them into the probability that the edit is right; its weights
are data, fitted by ``scripts/fit_calibration.py`` on the tune parts of the real data and
stored in ``lexicons/calibration.json`` with what they were fitted on (scikit-learn's
calibration design: the fitted calibrator is a table, applied with a dot product). The same
file holds each rule's auto-apply threshold as the fit chose it (the lowest confidence at
which that rule's applied edits stayed right often enough on every tune set) and the bounds
that tell an edition's reading from a misreading (`jiaokan.consensus`).

A rule has a model for each kind of page (`page_kind`): short lines of subtitles and signs
and prose pages differ in what the same evidence means (a doubled character in a subtitle is
mostly a word, 谢谢, 恻恻; in a newspaper column mostly a misreading), so each is fitted on its
own pages, and each kind has its auto-apply threshold, chosen on the sets of its pages.

A rule the file does not name (or a missing file, when the engine runs before its first
fit) gets `UNFITTED_CONFIDENCE`: below every auto-apply threshold, so such edits are only
proposed.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

#: the confidence of an edit whose rule has no fitted model: a proposal, never applied
UNFITTED_CONFIDENCE = 0.5
#: the auto-apply threshold of a rule the file gives none (above every fitted confidence but a
#: certain one)
DEFAULT_THRESHOLD = 0.99
#: where the file names none: the log10 probability of the least likely OCR mistake below which
#: a difference is an edition's (a word for an unrelated word), and the signs that a replaced
#: block is damage — its text reads this much worse per symbol (log10), or its edges join their
#: neighbours this much worse
DEFAULT_VARIANT_FLOOR = -7.0
DEFAULT_GARBLED_RATE = 1.0
DEFAULT_EDGE_MARGIN = 3.0


#: the kinds of page a rule has a model for: short lines (subtitles, signs, one sentence a line:
#: speech, names and dialect, where a model of newspaper prose knows less and doubled characters
#: are mostly words) and prose
SHORT_LINES, PROSE = "short_lines", "prose"
#: a page is of short lines when its lines average fewer characters than 30 (the evidence's
#: ``line_length`` is log10 of the mean plus one, `jiaokan.evidence.page_evidence`)
SHORT_LINE_LENGTH = math.log10(30 + 1)


def page_kind(evidence: Mapping[str, float]) -> str:
    """The kind of page an edit's evidence says it is on (prose when it does not say)."""
    return SHORT_LINES if evidence.get("line_length", SHORT_LINE_LENGTH) < SHORT_LINE_LENGTH else PROSE


@dataclass(frozen=True)
class RuleModel:
    """A logistic model over named evidence."""

    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept: float

    @classmethod
    def from_entry(cls, entry: Mapping) -> "RuleModel":
        return cls(tuple(entry["features"]), tuple(entry["coefficients"]), float(entry["intercept"]))

    def probability(self, evidence: Mapping[str, float]) -> float:
        """P(right) for ``evidence`` (a feature it lacks counts as 0)."""
        score = self.intercept + sum(weight * float(evidence.get(name, 0.0)) for name, weight in zip(self.features, self.coefficients))
        if score >= 0:
            return 1.0 / (1.0 + math.exp(-score))
        exponential = math.exp(score)
        return exponential / (1.0 + exponential)


class Calibration:
    """The fitted models by rule, and the auto-apply threshold."""

    def __init__(self, parameters: Mapping) -> None:
        self.parameters = parameters
        #: rule -> page kind -> model (a rule's entry is its prose model, with its short-lines
        #: model inside when the fit made one)
        self.models = {
            rule: {PROSE: RuleModel.from_entry(entry)} | ({SHORT_LINES: RuleModel.from_entry(entry[SHORT_LINES])} if SHORT_LINES in entry else {})
            for rule, entry in parameters.get("rules", {}).items()
        }
        #: rule -> the confidence from which its edits on prose pages apply unreviewed (fitted per
        #: rule), and on pages of short lines where the fit chose another
        self.thresholds = {rule: float(value) for rule, value in parameters.get("thresholds", {}).items()}
        self.short_lines_thresholds = {rule: float(value) for rule, value in parameters.get("short_lines_thresholds", {}).items()}
        #: the word model's least preference (log10) for a misread word's fix worth judging
        self.word_gain_floor = float(parameters.get("candidates", {}).get("word_gain_floor", 0.0))
        variant = parameters.get("variant", {})
        self.variant_floor = float(variant.get("floor", DEFAULT_VARIANT_FLOOR))
        self.garbled_rate = float(variant.get("garbled_rate", DEFAULT_GARBLED_RATE))
        self.edge_margin = float(variant.get("edge_margin", DEFAULT_EDGE_MARGIN))

    @classmethod
    def load(cls, path: Path | None = None) -> "Calibration":
        """The calibration stored at ``path`` (default ``lexicons/calibration.json``); an empty one
        if there is no file yet (every content edit a proposal)."""
        from jiaokan.errors import ResourceError
        from jiaokan.resources import lexicon_directory

        path = path or lexicon_directory() / "calibration.json"
        if not path.exists():
            return cls({})
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ResourceError(f"cannot read the calibration {path}: {error}") from error

    def threshold(self, rule: str, kind: str = PROSE) -> float:
        """The fitted auto-apply threshold of ``rule`` on a ``kind`` of page (the prose one where
        the fit chose none for the kind; `DEFAULT_THRESHOLD` for a rule without one)."""
        prose = self.thresholds.get(rule, DEFAULT_THRESHOLD)
        return self.short_lines_thresholds.get(rule, prose) if kind == SHORT_LINES else prose

    def confidence(self, rule: str, evidence: Mapping[str, float]) -> float:
        """The probability that an edit of ``rule`` with ``evidence`` is right, to 4 places."""
        models = self.models.get(rule)
        if models is None:
            return UNFITTED_CONFIDENCE
        model = models.get(page_kind(evidence), models[PROSE])
        return round(model.probability(evidence), 4)


@lru_cache(maxsize=1)
def load_calibration() -> Calibration:
    """The engine's calibration, loaded once per process."""
    return Calibration.load()
