"""The evidence a content edit is judged on, the same for every rule.

A reading ``fix`` proposed for what a document reads (``own``) between the same neighbours is
weighed three ways, each a log10 ratio, positive when it favours the fix:

- ``channel``: how well "an OCR engine misread ``fix`` as ``own``" explains the text, against
  "the text is ``own``, read right" (`jiaokan.channel`, fitted on real OCR);
- ``language``: how much likelier the character language model finds the fix in its context
  (`jiaokan.language_model`, built from real newspaper prose);
- ``words``: the same question put to the word model (the best segmentation's probability).

``weakest`` is the log10 probability of the least likely mistake the fix assumes (a difference
no engine would make — a word for an unrelated word, a figure, a sentence — has a very low
one), ``mistakes`` how many it assumes (several plausible misreadings in one window are not
one implausible change). Rules add what they know besides (the copies' votes, a domain term, the place),
and `jiaokan.calibration` turns the numbers into the probability that the edit is right
(`judged`; where the user's lexicon decides, the config's trust in it).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

from jiaokan.config import DEFAULT_CONFIG, EngineConfig
from jiaokan.resources import Resources

#: the word model scores in natural logarithms; evidence is in log10
LOG10_E = 1 / math.log(10)


def reading_evidence(resources: Resources, own: str, fix: str, left: str, right: str, language: float | None = None) -> dict[str, float]:
    """``channel``, ``language``, ``words`` and ``weakest`` for reading ``fix`` instead of ``own``
    between ``left`` and ``right``, rounded to 3 places (they are written out with the edit).
    ``language``: the language model's preference, when the caller asked it with others
    (`readings_evidence`)."""
    channel = resources.channel
    words = resources.words
    word_gain = (words.segmentation_score(left + fix + right) - words.segmentation_score(left + own + right)) * LOG10_E
    # the neighbours go with the readings: a character read twice is a repeat only beside its twin
    explained, weakest, mistakes = channel.judge(left[-1:] + own + right[:1], left[-1:] + fix + right[:1])
    if language is None:
        language = resources.language.preference(left, fix, own, right)
    return {
        "channel": round(explained, 3),
        "language": round(language, 3),
        "words": round(word_gain, 3),
        "weakest": round(weakest, 3),
        "mistakes": float(mistakes),
    }


def readings_evidence(resources: Resources, questions: Sequence[tuple[str, str, str, str]]) -> list[dict[str, float]]:
    """`reading_evidence` of each (own, fix, left, right), the language model asked once for all."""
    preferences = resources.language.preferences([(left, fix, own, right) for own, fix, left, right in questions])
    return [reading_evidence(resources, own, fix, left, right, language) for (own, fix, left, right), language in zip(questions, preferences)]


def page_evidence(text: str, units: str) -> dict[str, float]:
    """What kind of page the edit is on (log10): how long it is in content units
    (``page_length``) and how long its lines are (``line_length``: a subtitle file or a sign is
    short lines of speech or names, where a model of newspaper prose knows less; a page of prose
    has long paragraphs). Computed once per page (remembered: rules ask for each candidate,
    and reading the page each time made their work quadratic in its length)."""
    return dict(_page_evidence(text, units))


@lru_cache(maxsize=4)
def _page_evidence(text: str, units: str) -> tuple[tuple[str, float], ...]:
    lines = [line for line in text.split("\n") if line.strip()]
    mean = sum(map(len, lines)) / len(lines) if lines else 0.0
    return (("page_length", round(math.log10(len(units) + 1), 3)), ("line_length", round(math.log10(mean + 1), 3)))


def judged(resources: Resources, rule: str, evidence: dict, config: EngineConfig | None = None) -> float:
    """The confidence of an edit of ``rule`` with ``evidence``: the calibrated probability, or,
    where the user's lexicon decides (the fix forms a domain term the text as read does not,
    ``domain_term``, by a mistake an engine plausibly makes and changing no figure: 嫦娥八号 is
    no misreading of the term 嫦娥六号), at least the config's
    ``lexicon_confidence``: the lexicon is what the user says the text holds, and no data
    calibrates it. The calibrated probability stays in the evidence (``calibrated``)."""
    calibrated = resources.calibration.confidence(rule, evidence)
    lexicon = (config or DEFAULT_CONFIG).lexicon_confidence
    plausible = evidence.get("weakest", 0.0) >= resources.calibration.variant_floor and not evidence.get("digits")
    if evidence.get("domain_term") and plausible and lexicon > calibrated:
        evidence["calibrated"] = calibrated
        return lexicon
    return calibrated
