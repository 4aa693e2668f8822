"""Demo data (spec/demo-data.md): `nexus seed`, and `nexus up` on an empty database."""

from nexus.seed.loader import SeedConflict, SeedOutcome, database_is_empty, load_demo, run

__all__ = ["SeedConflict", "SeedOutcome", "database_is_empty", "load_demo", "run"]
