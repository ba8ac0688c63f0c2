"""The results as a file, a markdown table and PNG plots."""

import json
import math

import matplotlib

matplotlib.use("Agg")  # files only: no screen here
import matplotlib.pyplot as plt


def write(results, series, directory):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (directory / "latest.md").write_text(markdown(results))
    if "fan_out" in series:
        plot_fan_out(series["fan_out"], directory / "fan-out.png")
    if "latency" in series:
        plot_latency(series["latency"], directory / "latency.png")


def markdown(results):
    lines = ["| scenario | metric | Parley | peer | Parley / peer | unit | notes |", "|---|---|---:|---:|---:|---|---|"]
    for row in results["rows"]:
        peer, ratio = ("" if row[key] is None else row[key] for key in ("peer", "ratio"))
        lines.append(
            f"| {row['scenario']} | {row['metric']} | {row['parley']} | {peer} | {ratio} "
            f"| {row['unit']} | {row['notes']} |"
        )
    machine = results["machine"]
    lines += [
        "",
        f"Machine: {machine['cpus']} cores, {machine['platform']}, Python {machine['python']}; "
        f"{machine['pinning']}. Mode: {results['mode']}.",
    ]
    return "\n".join(lines) + "\n"


def plot_fan_out(series, path):
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name, style in (("parley", "o-"), ("peer", "s--")):
        axes.plot(series["sockets"], series[name], style, label=name.capitalize() if name == "parley" else "peer")
    axes.set_xscale("log")
    axes.set_xlabel("sockets in the room")
    axes.set_ylabel("deliveries per second")
    axes.set_title("Fan-out: one room, one sender, one server core")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_latency(series, path):
    """`series`: label -> (latencies in ms, ...), as scenarios.paced_latency() gives them.
    The latency distribution of each target, as a curve of the share of deliveries slower
    than x (log-log): the tail is where the difference is."""
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for label, (latencies, *_) in series.items():
        if not latencies:
            continue
        ordered = sorted(latencies)
        count = len(ordered)
        # 400 points spaced evenly on the log scale of the share, from all of them to the slowest
        shares = [10 ** (-step * math.log10(count) / 400) for step in range(401)]
        axes.plot(
            [ordered[min(count - 1, int((1 - share) * count))] for share in shares],
            shares,
            label=f"{label} ({count} deliveries)",
        )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("end-to-end latency (ms)")
    axes.set_ylabel("share of deliveries slower")
    axes.set_title("Paced messages: latency distribution")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
