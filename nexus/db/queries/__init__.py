"""Generated typed query modules, one per `sql/<area>.sql` (written by `nexus gen`; never edit them by hand)."""
