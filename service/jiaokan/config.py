"""The engine's one frozen configuration: rule switches, the auto-apply policy, tuning.

Every rule has a name; that name is its switch here, its tag on every edit and the
word a reviewer sees. `EngineConfig.from_options` builds a config from the loose
options of an API call or a command line and refuses unknown names and bad values.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from jiaokan.calibration import PROSE, page_kind
from jiaokan.errors import ConfigError

#: every rule, by stage, in the order they run; each is a switch of `EngineConfig.rules`
NORMALISATION_RULES = (
    "strip_markup",
    "join_broken_paragraphs",
    "strip_trailing_spaces",
    "remove_stray_spaces",
    "widen_punctuation",
    "unify_ellipsis",
    "unify_dash",
    "convert_traditional",
)
CONSENSUS_RULES = (
    "majority_reading",
    "lexicon_reading",
    "replaced_block",
)
REPAIR_RULES = (
    "drop_repeated_sentence",
    "remove_doubled_character",
    "fix_swapped_characters",
    "match_domain_term",
    "fix_lookalike",
)
ALL_RULES = NORMALISATION_RULES + CONSENSUS_RULES + REPAIR_RULES


class FrozenMapping(dict):
    """A dict that refuses changes (unlike MappingProxyType it pickles, for worker processes)."""

    def _refuse(self, *arguments, **keywords):
        raise TypeError("engine configuration is frozen; use dataclasses.replace or EngineConfig.from_options")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenMapping, (dict(self),))


def _all_rules_on() -> Mapping[str, bool]:
    return FrozenMapping({name: True for name in ALL_RULES})


@dataclass(frozen=True)
class EngineConfig:
    """What the engine does and which of its edits apply without review."""

    #: rule name -> enabled; a disabled rule proposes nothing
    rules: Mapping[str, bool] = field(default_factory=_all_rules_on)
    #: edits at or above this confidence are applied automatically, the rest are proposals;
    #: None (the default): each content rule's threshold as ``scripts/fit_calibration.py`` chose
    #: it (`jiaokan.calibration`: the lowest at which that rule's applied edits stayed at least
    #: 98% right on every tune set), and `normalisation_threshold` for the others
    auto_apply_threshold: float | None = None
    #: the default threshold of normalisation edits (layout, punctuation forms, script), whose
    #: confidences are their rules' own, not fitted
    normalisation_threshold: float = 0.9
    #: per-rule override of the two thresholds above (1.01 never auto-applies)
    rule_thresholds: Mapping[str, float] = field(default_factory=FrozenMapping)
    #: an edit whose reading forms a domain term the text as read does not (by a mistake an OCR
    #: engine plausibly makes) has at least this confidence: the lexicon is the user's word, and
    #: no data calibrates it (0: the calibrated probability alone); above every fitted threshold
    #: (`scripts/fit_calibration.py` tries up to 0.999), so by default the user's term applies
    lexicon_confidence: float = 0.999
    #: content edits less confident than this are not even proposed; 0 proposes every candidate,
    #: the windows judged variants too, at confidence 0 (what the calibration fit looks at)
    proposal_threshold: float = 0.5
    #: extra domain terms on top of the lexicon files (e.g. from the service's lexicon table)
    extra_terms: tuple[str, ...] = ()
    #: character n-gram length of the witness index
    ngram_size: int = 8
    #: keep one n-gram in this many (chosen by hash, so every copy keeps the same ones)
    ngram_sampling: int = 4
    #: n-grams found in more documents than this are boilerplate, not evidence
    max_ngram_documents: int = 40
    #: a shared passage needs at least this many matching n-grams ...
    min_anchors: int = 3
    #: ... and this many characters
    min_passage_length: int = 24
    #: anchors further apart than this start a new passage
    max_anchor_gap: int = 160

    def __post_init__(self) -> None:
        unknown = sorted(set(self.rules) - set(ALL_RULES))
        if unknown:
            raise ConfigError(f"unknown rule(s): {', '.join(unknown)}; known: {', '.join(ALL_RULES)}")
        unknown = sorted(set(self.rule_thresholds) - set(ALL_RULES))
        if unknown:
            raise ConfigError(f"unknown rule(s) in rule_thresholds: {', '.join(unknown)}")
        thresholds = [("normalisation_threshold", self.normalisation_threshold), ("proposal_threshold", self.proposal_threshold),
                      ("lexicon_confidence", self.lexicon_confidence),
                      *self.rule_thresholds.items()]
        if self.auto_apply_threshold is not None:
            thresholds.append(("auto_apply_threshold", self.auto_apply_threshold))
        for name, value in thresholds:
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.01:
                raise ConfigError(f"threshold {name} must be a number from 0 to 1.01, got {value!r}")
        if self.ngram_size < 3 or self.ngram_sampling < 1 or self.min_anchors < 1:
            raise ConfigError("ngram_size must be at least 3, ngram_sampling and min_anchors at least 1")
        # fill in rules not named so a partial mapping means "the others keep their default"
        merged = {name: True for name in ALL_RULES} | {name: bool(on) for name, on in self.rules.items()}
        object.__setattr__(self, "rules", FrozenMapping(merged))
        object.__setattr__(self, "rule_thresholds", FrozenMapping(self.rule_thresholds))
        object.__setattr__(self, "extra_terms", tuple(sorted(set(self.extra_terms))))

    def enabled(self, rule: str) -> bool:
        """Whether ``rule`` may propose edits."""
        return self.rules.get(rule, False)

    def applies_automatically(self, rule: str, confidence: float, evidence: Mapping | None = None) -> bool:
        """The policy: does an edit of ``rule`` with ``confidence`` apply without review? Its
        ``evidence`` says on what kind of page it is (`jiaokan.calibration.page_kind`)."""
        return confidence >= self.threshold(rule, page_kind(evidence) if evidence is not None else PROSE)

    def threshold(self, rule: str, kind: str = PROSE) -> float:
        """The confidence from which edits of ``rule`` apply without review on a ``kind`` of page
        (the fitted threshold of the kind, unless the config names one for every page)."""
        if rule in self.rule_thresholds:
            return self.rule_thresholds[rule]
        if self.auto_apply_threshold is not None:
            return self.auto_apply_threshold
        if rule in NORMALISATION_RULES:
            return self.normalisation_threshold
        from jiaokan.calibration import load_calibration

        return load_calibration().threshold(rule, kind)

    def fingerprint(self) -> str:
        """A stable digest of everything that changes results: these settings, the engine's
        code and its data files (for resumable runs and stored proposals)."""
        import hashlib
        import json

        payload = {f.name: getattr(self, f.name) for f in fields(self)}
        payload["rules"] = dict(payload["rules"])
        payload["rule_thresholds"] = dict(payload["rule_thresholds"])
        payload["engine"] = engine_fingerprint()
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=list).encode()).hexdigest()[:16]

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None, base: "EngineConfig | None" = None) -> "EngineConfig":
        """A config from loose options: ``{"rules": {"fix_lookalike": false}, "auto_apply_threshold": 0.95, ...}``."""
        base = base or cls()
        if not options:
            return base
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"unknown option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        changes = dict(options)
        if "rules" in changes:
            if not isinstance(changes["rules"], Mapping):
                raise ConfigError("option rules must map rule names to true or false")
            changes["rules"] = dict(base.rules) | dict(changes["rules"])
        if "extra_terms" in changes:
            terms = changes["extra_terms"]
            if not isinstance(terms, (list, tuple)) or not all(isinstance(term, str) for term in terms):
                raise ConfigError("option extra_terms must be a list of strings")
            changes["extra_terms"] = tuple(terms)
        for name in ("auto_apply_threshold", "normalisation_threshold", "proposal_threshold", "lexicon_confidence"):
            if name in changes and (isinstance(changes[name], bool) or not isinstance(changes[name], (int, float))):
                if not (name == "auto_apply_threshold" and changes[name] is None):
                    raise ConfigError(f"option {name} must be a number")
        for name in ("ngram_size", "ngram_sampling", "max_ngram_documents", "min_anchors", "min_passage_length", "max_anchor_gap"):
            if name in changes and (isinstance(changes[name], bool) or not isinstance(changes[name], int)):
                raise ConfigError(f"option {name} must be an integer")
        if "rule_thresholds" in changes:
            if not isinstance(changes["rule_thresholds"], Mapping):
                raise ConfigError("option rule_thresholds must map rule names to numbers")
            changes["rule_thresholds"] = dict(base.rule_thresholds) | dict(changes["rule_thresholds"])
        try:
            return replace(base, **changes)
        except (TypeError, ValueError) as error:
            raise ConfigError(str(error)) from error


#: the modules whose code decides what the engine proposes
ENGINE_MODULES = (
    "alignment", "calibration", "channel", "config", "consensus", "edits", "evidence", "language_model", "matching", "normalise",
    "engine/stages", "repair", "resources", "result", "script", "textview", "witnesses",
)


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A digest of the engine's code and data files: changes whenever results may change."""
    import hashlib

    from jiaokan.resources import lexicon_directory, package_data_directory

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    paths = [package / f"{module}.py" for module in ENGINE_MODULES]
    directory = lexicon_directory()
    paths += sorted(directory.glob("*.txt")) + sorted(directory.glob("*.tsv")) + sorted(directory.glob("*.json")) + sorted(directory.glob("*.npz")) if directory.is_dir() else []
    data = package_data_directory("pycorrector") / "data"
    paths += [data / "word_freq.txt", data / "same_stroke.txt", data / "en.json.gz"]
    for path in paths:
        digest.update(path.name.encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()[:16]


DEFAULT_CONFIG = EngineConfig()
