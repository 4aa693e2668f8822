"""The Litestar HTTP API (api.md): app factory, controllers per route family, schemas and the error path."""
