"""The clean benchmark corpus: modern simplified-Chinese prose the engine was not written against."""
