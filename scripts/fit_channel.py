"""Fit lexicons/channel.json: how often real OCR engines make each kind of mistake.

The pairs are real: what an engine read and what a person says the text is, from the TUNE parts
of ``../shared/data`` as `bench.real_data` splits them (the report parts are never read here):

- FASPell's subtitle OCR lines (substitutions only),
- OCRMT30K's scene-text OCR lines (substitutions, dropped characters, punctuation),
- the two engines (Google Lens, PaddleOCR) on the tune films against the reviewed reference,
  cue by cue.

Whitespace is dropped from both sides (layout is not the channel's business). Each pair is
aligned (`jiaokan.channel.align_events`: fewest edits, a swap counting once) and every mistake
counted by kind, together with how often it could have happened (its *exposure*: the true
characters of a class, their look-alikes in a similarity band, the places a character could
be inserted...). An event's probability is its count over its exposure, both smoothed by half
a count; a substitution's is per specific character read (a band's count spread over the
look-alikes the band holds, a non-look-alike over the plausible inventory of its class).

    .venv/bin/python scripts/fit_channel.py     # a few seconds; writes lexicons/channel.json

``--leave-out a`` (or ``b``) fits without one half of the tune pairs (`bench.real_data.fitting_half`):
``scripts/fit_calibration.py`` judges the engine on each half with a channel that never saw it.

The file keeps, beside each log10 probability, the counts it came from, so a reader can
check it; the output is the same for the same data.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "service"), str(ROOT)]

from bench.real_data import TUNE, film_cues, films, fitting_half, scene_text_pairs, subtitle_ocr_pairs  # noqa: E402
from jiaokan.channel import (  # noqa: E402
    CLASSES, DELETION, DIGIT, HAN, INSERTION, LETTER, OTHER, PUNCTUATION, SIMILARITY_BANDS, SUBSTITUTION, SWAP,
    align_events, character_class, fold_marks,
)
from jiaokan.resources import load_lookalikes  # noqa: E402

OUTPUT = ROOT / "lexicons" / "channel.json"
#: how many characters of each class an engine could plausibly read instead of a true one
#: (the commonly printed Han characters; ten digits but the one; 26 letters in two cases...)
INVENTORY = {HAN: 7000, DIGIT: 9, LETTER: 51, PUNCTUATION: 30, OTHER: 100}
#: a mark pair seen fewer times than this is pooled into "mark other"
MINIMUM_MARK_PAIR = 3
SMOOTHING = 0.5
#: events that read some character out of nothing or out of another class (a speck, a mark
#: misread): what is read is far from uniform (一, 女, 1, 7 more than 龘), so each character's
#: share of the event is fitted, mixed with the uniform share as this many readings
GARBAGE_EVENTS = (f"{INSERTION} {HAN}", f"{INSERTION} {DIGIT}", f"{INSERTION} {LETTER}", f"{INSERTION} {PUNCTUATION}", f"{SUBSTITUTION} class")
GARBAGE_PRIOR_STRENGTH = 5


def tune_pairs(leave_out: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """source -> (observed, true) pairs of the tune parts, whitespace dropped; without the
    half ``leave_out`` ("a" or "b": `bench.real_data.fitting_half` of the true text) if given."""
    def squeeze(text: str) -> str:
        return "".join(text.split())

    sources = {
        "subtitle-ocr": [(pair.ocr, pair.gold) for pair in subtitle_ocr_pairs(TUNE)],
        "scene-text": [(pair.ocr, pair.gold) for pair in scene_text_pairs(TUNE)],
        "two-engine": [(reading, cue.reference) for film in films(TUNE) for cue in film_cues(film) for reading in (cue.lens, cue.paddle)],
    }
    return {source: [(squeeze(observed), squeeze(true)) for observed, true in pairs if leave_out is None or fitting_half(true) != leave_out]
            for source, pairs in sources.items()}


class Tally:
    """Counts of events and of the chances each had."""

    def __init__(self, lookalikes) -> None:
        self.lookalikes = lookalikes
        self.events: Counter = Counter()
        self.exposure: Counter = Counter()
        self.errors_by_class: Counter = Counter()
        #: (true, observed) Han characters -> how often an engine read one for the other
        self.confusions: Counter = Counter()
        #: how often each Han character was in the true texts
        self.characters: Counter = Counter()
        #: event key -> what was read, for the events that read "any" character (garbage)
        self.observed: dict[str, Counter] = {}

    def add(self, observed: str, true: str) -> None:
        if true:
            self.exposure["lines"] += 1
        if true and not observed:  # a line lost whole is one event, not a character dropped at a time
            self.events[f"{DELETION} line"] += 1
            return
        for event in align_events(observed, true, self.lookalikes.similarity):
            self.events[f"{event.kind} {event.name}"] += 1
            for character in event.true:
                self.errors_by_class[character_class(character)] += 1
            if event.kind == SUBSTITUTION and character_class(event.true) == HAN == character_class(event.observed):
                self.confusions[event.true, event.observed] += 1
            key = f"{event.kind} {event.name}"
            if key in GARBAGE_EVENTS:
                self.observed.setdefault(key, Counter())[event.observed] += 1
        true = fold_marks(true)
        self.characters.update(character for character in true if character_class(character) == HAN)
        for position, character in enumerate(true):
            kind = character_class(character)
            self.exposure[f"class {kind}"] += 1
            if kind == HAN:
                self._add_lookalike_exposure(character)
            elif kind == PUNCTUATION:
                self.exposure[f"mark {character}"] += 1
            if character in true[max(0, position - 1):position] + true[position + 1:position + 2]:
                self.exposure["repeat"] += 1
        self.exposure["places"] += len(true) + 1
        self.exposure["pairs"] += max(len(true) - 1, 0)

    def _add_lookalike_exposure(self, character: str) -> None:
        similar = self.lookalikes.of(character)
        for score in similar.values():
            for band in SIMILARITY_BANDS:
                if score >= band:
                    self.exposure[f"lookalike {band:.1f}"] += 1
                    break


def exposure_of(key: str, tally: Tally) -> float:
    """How often the event named ``key`` could have happened (per specific character read)."""
    kind, name = key.split(" ", 1)
    exposure = tally.exposure
    if kind == SWAP:
        return exposure["pairs"]
    if kind == DELETION:
        return exposure["lines"] if name == "line" else exposure["repeat"] if name == "repeat" else exposure[f"class {name}"]
    if kind == INSERTION:
        return exposure["class " + HAN] + exposure["class " + PUNCTUATION] if name == "repeat" else exposure["places"] * INVENTORY[name]
    # substitutions
    if name.startswith("lookalike "):
        return exposure[name]
    if name == "form":
        return exposure["class " + HAN]
    if name == "han":
        return exposure["class " + HAN] * INVENTORY[HAN]
    if name == "class":
        return sum(exposure[f"class {kind}"] for kind in CLASSES) * INVENTORY[HAN]
    if name.startswith("mark "):
        if name == "mark other":
            return exposure["class " + PUNCTUATION] * INVENTORY[PUNCTUATION]
        return exposure[f"mark {name[5]}"] or exposure["class " + PUNCTUATION]
    return exposure[f"class {name}"] * INVENTORY[name]


def event_keys(tally: Tally) -> list[str]:
    """Every event the table scores: those seen, and every kind any text could need."""
    keys = set(tally.events)
    keys |= {f"{SUBSTITUTION} lookalike {band:.1f}" for band in SIMILARITY_BANDS}
    keys |= {f"{SUBSTITUTION} {name}" for name in ("form", "han", "class", DIGIT, LETTER, OTHER, "mark other")}
    keys |= {f"{DELETION} {name}" for name in (*CLASSES, "repeat", "line")}
    keys |= {f"{INSERTION} {name}" for name in (*CLASSES, "repeat")}
    keys.add(f"{SWAP} {SWAP}")
    rare_marks = {key for key in keys if key.startswith(f"{SUBSTITUTION} mark ") and key != f"{SUBSTITUTION} mark other"
                  and tally.events[key] < MINIMUM_MARK_PAIR}
    for key in rare_marks:
        tally.events[f"{SUBSTITUTION} mark other"] += tally.events.pop(key, 0)
    return sorted(keys - rare_marks)


def fit(pairs: dict[str, list[tuple[str, str]]]) -> dict:
    """The channel's parameters from the pairs."""
    tally = Tally(load_lookalikes())
    for source_pairs in pairs.values():
        for observed, true in source_pairs:
            tally.add(observed, true)
    events = {}
    counts = {}
    for key in event_keys(tally):
        count, exposure = tally.events[key], exposure_of(key, tally)
        if not exposure:  # a class no tune text holds: as rare as an event seen nowhere in all the text
            exposure = sum(tally.exposure[f"class {kind}"] for kind in CLASSES)
        events[key] = round(math.log10((count + SMOOTHING) / (exposure + 2 * SMOOTHING)), 4)
        counts[key] = [count, exposure]
    correct = {}
    for kind in CLASSES:
        seen = tally.exposure[f"class {kind}"]
        correct[kind] = round(math.log10(1 - (tally.errors_by_class[kind] + SMOOTHING) / (seen + 2 * SMOOTHING)), 6)
    confusions = {true + observed: [count, tally.characters[true]] for (true, observed), count in sorted(tally.confusions.items())}
    observed = {key: garbage_probabilities(key, events[key], tally) for key in GARBAGE_EVENTS if key in tally.observed}
    return {
        "about": "log10 probabilities of OCR mistakes, fitted by scripts/fit_channel.py on the tune parts of ../shared/data "
                 "(counts: [events, exposure]; confusions: true and observed Han character -> [times read so, times "
                 "in the true texts]); see jiaokan.channel",
        "sources": {source: len(source_pairs) for source, source_pairs in sorted(pairs.items())},
        "events": events,
        "correct": correct,
        "counts": counts,
        "confusions": confusions,
        "observed": observed,
    }


def garbage_probabilities(key: str, uniform: float, tally: Tally) -> dict[str, float]:
    """character -> log10 P of the event ``key`` reading exactly it: the event's chance at a place
    times the character's smoothed share of what the event read (`GARBAGE_PRIOR_STRENGTH`)."""
    counts = tally.observed[key]
    total = sum(counts.values())
    inventory = INVENTORY[HAN] if key.endswith("class") else INVENTORY[key.split(" ", 1)[1]]
    per_place = 10 ** uniform * inventory  # the uniform per-character probability times the characters it spread over
    return {character: round(math.log10(per_place * (count + GARBAGE_PRIOR_STRENGTH / inventory) / (total + GARBAGE_PRIOR_STRENGTH)), 4)
            for character, count in sorted(counts.items())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--leave-out", choices=("a", "b"), help="fit without this half of the tune parts (for cross-fitting)")
    options = parser.parse_args(argv)
    parameters = fit(tune_pairs(options.leave_out))
    options.output.write_text(json.dumps(parameters, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{options.output}: {len(parameters['events'])} events from {parameters['sources']}")
    for key, value in sorted(parameters["events"].items(), key=lambda item: -item[1]):
        print(f"  {value:8.3f}  {key:28s} {parameters['counts'][key]}")


if __name__ == "__main__":
    main()
