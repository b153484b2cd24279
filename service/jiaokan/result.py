"""What the engine returns for one document: the original, its edits, which apply."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from jiaokan.config import EngineConfig
from jiaokan.edits import Edit, Variant, apply_edits

APPLIED = "applied"
PROPOSED = "proposed"


@dataclass(frozen=True)
class Correction:
    """A document's edits and the policy's verdict on each; ``text`` is derived, never stored."""

    name: str
    original: str
    edits: tuple[Edit, ...]
    applied: tuple[bool, ...]
    #: where other copies read otherwise and nothing was changed (`jiaokan.edits.Variant`)
    variants: tuple[Variant, ...] = ()

    @classmethod
    def from_edits(cls, name: str, original: str, edits: list[Edit], config: EngineConfig, variants=()) -> "Correction":
        """Judge each edit by the config's policy."""
        ordered = tuple(edits)
        verdicts = tuple(config.applies_automatically(edit.rule, edit.confidence, edit.evidence) for edit in ordered)
        return cls(name=name, original=original, edits=ordered, applied=verdicts, variants=tuple(sorted(variants)))

    @cached_property
    def text(self) -> str:
        """The original with the automatically applied edits."""
        return apply_edits(self.original, [edit for edit, on in zip(self.edits, self.applied) if on])

    def status(self, index: int) -> str:
        """``applied`` or ``proposed``."""
        return APPLIED if self.applied[index] else PROPOSED

    def edit_records(self) -> list[dict[str, Any]]:
        """Edits as JSON-ready dicts, each with its ``status``."""
        return [edit.to_dict() | {"status": self.status(index)} for index, edit in enumerate(self.edits)]

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "text", "edits", "variants"}`` as the API and the batch files give it."""
        return {"name": self.name, "text": self.text, "edits": self.edit_records(), "variants": [variant.to_dict() for variant in self.variants]}
