"""The `casesearch` command: build, search, serve, eval, mcp, and the corpus commands."""
