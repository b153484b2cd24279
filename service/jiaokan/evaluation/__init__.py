"""Measuring jiaokan: character error rate, edit precision and recall, reports, synthetic noise.

- `cer`: CER over NFC grapheme clusters with counts, kinds and confusion pairs (`measure`).
- `noise`: seeded synthetic OCR noise and multi-witness page sets for the benchmarks.
"""
