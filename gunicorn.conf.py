"""gunicorn's settings for every Parley service. gunicorn reads this file from the directory it starts
in, so each way of starting a service gets it: docker compose (/app), make stack, the tests and the
benchmarks (the repository's root)."""

# gunicorn's own lines (start-up, a worker's timeout) as JSON, like every other line Parley writes.
logger_class = "shared.logs.GunicornLogger"

# nginx refuses a request line over 8 KiB itself (large_client_header_buffers); at gunicorn's default
# 4 KiB, gunicorn would refuse some of what nginx lets through, in plain text.
limit_request_line = 8190
