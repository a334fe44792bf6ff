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


class Report:
    """The figures, notes and query plans of one run of the benchmarks."""

    def __init__(self):
        self.started_at = datetime.now(UTC)
        self.figures = []
        self.notes = []
        self.details = {}

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

    def write(self, conditions):
        document = {
            "startedAt": self.started_at.isoformat(),
            "finishedAt": datetime.now(UTC).isoformat(),
            "machine": machine_description(),
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
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    return {
        "cpu": cpu_model,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "loadAverageAtEnd": load,
    }
