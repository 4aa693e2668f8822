"""Use cases: one function = one transaction (load, check permission, apply rules, write, audit, return)."""
