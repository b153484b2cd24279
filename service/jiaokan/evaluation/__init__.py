"""Measuring jiaokan: character error rate, edit precision and recall, reports, synthetic noise.

- `cer`: CER over NFC grapheme clusters with counts, kinds and confusion pairs (`measure`),
  width and whitespace folded by default (`fold`); `measure_parts` scores the articles of a page.
- `edit_quality`: judges a run's edits one by one against gold (precision, recall, edits on
  text that was already correct).
- `evaluate`: `evaluate(gold, predicted, ...)`, the plain function behind `jiaokan eval`.
- `report`: the HTML report (per-file table, side-by-side diffs).
- `noise`: seeded synthetic OCR noise and multi-witness page sets for the benchmarks.
"""
