"""`make stack`: the microservices layout as local processes, the way docker compose runs it."""
