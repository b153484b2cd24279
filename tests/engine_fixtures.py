"""Session fixtures for engine tests: the seed pages and their corrections (computed once)."""
from pathlib import Path

import pytest

SEED_FOLDER = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """The five seed pages by file name."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(SEED_FOLDER.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_corrections(seed_texts):
    """The seeds corrected as one corpus."""
    from jiaokan import correct_corpus

    return correct_corpus(seed_texts)
