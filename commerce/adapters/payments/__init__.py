"""Payment providers: the HTTPS sandbox (server and client)."""
