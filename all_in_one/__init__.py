"""The all-in-one process: every service at its gateway path and the web client, in one gevent server."""
