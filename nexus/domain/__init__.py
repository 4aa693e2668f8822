"""Pure rules (no I/O): permissions, parsing, scoring, canonical encodings."""
