"""jiaokan: collate, repair and normalise OCR-ed Chinese text; every change an explained edit.

>>> from jiaokan import correct_text
>>> correct_text("建档立卡卡脱贫人口").text
'建档立卡脱贫人口'
"""
from jiaokan.config import DEFAULT_CONFIG, EngineConfig
from jiaokan.edits import Edit, apply_edits
from jiaokan.engine import correct_corpus, correct_text
from jiaokan.result import Correction

__all__ = ["DEFAULT_CONFIG", "Correction", "Edit", "EngineConfig", "apply_edits", "correct_corpus", "correct_text"]
