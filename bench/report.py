"""Print each figure as ``name value unit`` and collect them for bench-results.json."""

import json
import logging
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

RESULTS_PATH = Path(__file__).resolve().parent.parent / "bench-results.json"

# The goals set for the figures: (figure name, comparison, bound).
TARGETS = [
    ("api.list_queries_limit_1", "<=", 4),
    ("api.list_queries_limit_100", "<=", 4),
    ("api.list_100k_vs_1k_ratio", ">=", 0.67),
    ("api.web_worker_peak_rss", "<", 150),
    ("delivery.fanout_vs_ceiling_ratio", ">=", 0.5),
    ("delivery.backlog_vs_ceiling_ratio", ">=", 0.5),
    ("delivery.idle_latency_p50", "<", 50),
    ("delivery.worker_peak_rss", "<", 200),
    ("load.server_errors", "==", 0),
    ("load.web_worker_peak_rss", "<", 150),
    ("load.celery_worker_peak_rss", "<", 200),
]
COMPARISONS = {
    "<": lambda value, bound: value < bound,
    "<=": lambda value, bound: value <= bound,
    ">=": lambda value, bound: value >= bound,
    "==": lambda value, bound: value == bound,
}


class Report:
    """The figures, notes and query plans of one run of the benchmarks."""

    def __init__(self):
        self.started_at = datetime.now(UTC)
        self.figures = []
        self.notes = []
        self.details = {}
        self.load_at_start = load_average()

    def figure(self, name, value, unit):
        """Record one figure and print it at once, so a cut-short run keeps it."""
        if isinstance(value, float):
            value = round(value, 3)
        self.figures.append({"name": name, "value": value, "unit": unit})
        print(f"{name} {value} {unit}", flush=True)

    def note(self, text):
        """Record a line that is not a figure, such as a skipped part."""
        self.notes.append(text)
        print(f"# {text}", flush=True)

    def detail(self, key, value):
        """Keep material that is too long to print, such as query plans."""
        self.details[key] = value

    def targets_check(self):
        """Print whether each figure that has a target met it."""
        values = {figure["name"]: figure["value"] for figure in self.figures}
        lines = []
        for name, comparison, bound in TARGETS:
            value = values.get(name)
            if value is None:
                continue
            verdict = "met" if COMPARISONS[comparison](value, bound) else "missed"
            lines.append(f"target {name} {comparison} {bound}: {verdict} ({value})")
        low, high = (
            values.get("api.list_queries_limit_1"),
            values.get("api.list_queries_limit_100"),
        )
        if low is not None and high is not None:
            verdict = "met" if low == high else "missed"
            lines.append(f"target queries equal for limit 1 and 100: {verdict}")
        for line in lines:
            self.note(line)
        self.detail("targets", lines)

    def write(self, conditions):
        document = {
            "startedAt": self.started_at.isoformat(),
            "finishedAt": datetime.now(UTC).isoformat(),
            "machine": machine_description(),
            "loadAverageAtStart": self.load_at_start,
            "conditions": conditions,
            "figures": self.figures,
            "notes": self.notes,
            "details": self.details,
        }
        RESULTS_PATH.write_text(json.dumps(document, indent=2) + "\n")
        logger.info("Wrote %s", RESULTS_PATH)


def machine_description():
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu_model = platform.processor()
    return {
        "cpu": cpu_model,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "loadAverageAtEnd": load_average(),
    }


def load_average():
    """Return the 1, 5 and 15 minute load averages, or [] where /proc is missing."""
    try:
        return [float(part) for part in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def markdown_summary(document):
    """Return a run's figures and notes as Markdown, for docs/benchmarks.md."""
    machine = document["machine"]
    lines = [
        f"Run started {document['startedAt'][:16].replace('T', ' ')} UTC on "
        f"{machine['cpus']} CPUs ({machine['cpu']}), Python {machine['python']}; "
        f"load average {document.get('loadAverageAtStart')} at the start and "
        f"{machine['loadAverageAtEnd']} at the end.",
        "",
        "| figure | value | unit |",
        "|---|---|---|",
    ]
    lines.extend(
        f"| `{figure['name']}` | {figure['value']} | {figure['unit']} |"
        for figure in document["figures"]
    )
    if document["notes"]:
        lines.append("")
        lines.extend(f"- {note}" for note in document["notes"])
    return "\n".join(lines)


if __name__ == "__main__":
    # python -m bench.report prints the last results as Markdown.
    print(markdown_summary(json.loads(RESULTS_PATH.read_text())))
