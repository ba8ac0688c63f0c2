"""How long a message spends in each stage of its way, per ws_service process, as one Prometheus
histogram: so that the next regression shows where it is, not only that latency grew.

queued: waiting for the committer (the previous batch's round trip); stored: its batch's statement
and commit; published: handing the batch to the broker; crossed: from publishing to arriving back
at a process through Redis (wall clocks: exact on one host, as good as the clocks across hosts);
hub: waiting in the hub's inbox; handed: the hub handing one event to every socket of the room in
this process; written: a frame that had to wait for its socket, from queueing to written.
"""

from prometheus_client import Histogram

STAGE_SECONDS = Histogram(
    "parley_message_stage_seconds",
    "Time a message spends in each stage of its way through this process",
    ["stage"],
    buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10),
)
QUEUED = STAGE_SECONDS.labels("queued")
STORED = STAGE_SECONDS.labels("stored")
PUBLISHED = STAGE_SECONDS.labels("published")
CROSSED = STAGE_SECONDS.labels("crossed")
HUB = STAGE_SECONDS.labels("hub")
HANDED = STAGE_SECONDS.labels("handed")
WRITTEN = STAGE_SECONDS.labels("written")
