"""Database access: connection pool, embedded server, migrations, the query generator and its output."""
