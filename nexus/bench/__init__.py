"""Performance suite behind `nexus bench` (DESIGN.md §7): data generator, hot-query EXPLAIN suite, plan checks.

Lives in the package (not only in benchmarks/) because the installed `nexus` command imports it; benchmarks/*.py
are thin entry points. The SQL it runs lives in benchmarks/sql/ (COPY texts, parameter picks) and sql/ (the app's
own queries), so `nexus bench` needs a source checkout.
"""
