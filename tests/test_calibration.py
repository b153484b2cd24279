"""Calibrated confidence: a fitted model per rule, applied with a dot product."""
from __future__ import annotations

import json
import math

from jiaokan.calibration import DEFAULT_THRESHOLD, PROSE, SHORT_LINES, UNFITTED_CONFIDENCE, Calibration, page_kind
from jiaokan.config import EngineConfig
from jiaokan.resources import lexicon_directory


def test_a_rule_model_is_a_logistic_function_of_its_evidence():
    calibration = Calibration({"rules": {"fix_lookalike": {"features": ["language", "words"], "coefficients": [1.0, 0.5], "intercept": -2.0}},
                               "thresholds": {"fix_lookalike": 0.93}, "variant": {"floor": -5.5}})
    assert calibration.confidence("fix_lookalike", {"language": 2.0, "words": 2.0}) == round(1 / (1 + math.exp(-1.0)), 4)
    assert calibration.confidence("fix_lookalike", {}) == round(1 / (1 + math.exp(2.0)), 4)  # what the evidence lacks counts as 0
    assert calibration.confidence("fix_lookalike", {"language": -2000.0}) == 0.0  # no overflow
    assert calibration.confidence("replaced_block", {"language": 9}) == UNFITTED_CONFIDENCE
    assert calibration.threshold("fix_lookalike") == 0.93 and calibration.threshold("replaced_block") == DEFAULT_THRESHOLD
    assert calibration.variant_floor == -5.5


def test_a_page_of_short_lines_is_judged_by_the_rules_short_lines_model_and_prose_by_its_prose_model():
    prose = {"features": ["language"], "coefficients": [1.0], "intercept": 0.0}
    calibration = Calibration({"rules": {"remove_doubled_character": prose | {"short_lines": {"features": ["language"], "coefficients": [1.0], "intercept": -4.0}},
                                         "fix_lookalike": prose}})
    subtitle, column = {"language": 2.0, "line_length": math.log10(12 + 1)}, {"language": 2.0, "line_length": math.log10(80 + 1)}
    assert page_kind(subtitle) == SHORT_LINES and page_kind(column) == page_kind({"language": 2.0}) == PROSE
    assert calibration.confidence("remove_doubled_character", subtitle) == round(1 / (1 + math.exp(2.0)), 4)
    assert calibration.confidence("remove_doubled_character", column) == round(1 / (1 + math.exp(-2.0)), 4)
    assert calibration.confidence("fix_lookalike", subtitle) == calibration.confidence("fix_lookalike", column)  # no short-lines model: the prose one


def test_the_shipped_calibration_names_a_model_and_a_threshold_for_every_content_rule():
    from jiaokan.config import CONSENSUS_RULES, REPAIR_RULES

    parameters = json.loads((lexicon_directory() / "calibration.json").read_text(encoding="utf-8"))
    for rule in CONSENSUS_RULES + REPAIR_RULES:
        model = parameters["rules"][rule]
        assert len(model["features"]) == len(model["coefficients"])
        assert model["examples"] > 0
        assert 0.9 <= parameters["thresholds"][rule] < 1  # no edit its model holds one time in ten wrong applies
    assert parameters["variant"]["floor"] < 0


def test_a_config_threshold_overrides_the_fitted_ones_and_a_rule_threshold_overrides_both():
    fitted = EngineConfig()
    assert fitted.threshold("fix_lookalike") == json.loads((lexicon_directory() / "calibration.json").read_text(encoding="utf-8"))["thresholds"]["fix_lookalike"]
    assert fitted.threshold("widen_punctuation") == fitted.normalisation_threshold
    chosen = EngineConfig.from_options({"auto_apply_threshold": 0.5, "rule_thresholds": {"fix_lookalike": 1.01}})
    assert chosen.threshold("majority_reading") == chosen.threshold("widen_punctuation") == 0.5 and chosen.threshold("fix_lookalike") == 1.01
    assert not chosen.applies_automatically("fix_lookalike", 1.0)
