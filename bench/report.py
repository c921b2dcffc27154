"""Showing and keeping results: the rich tables on the terminal and the JSON files under bench/results/."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.measure import UNIT_SCALE, Comparison

RESULTS_DIR = Path(__file__).resolve().parent / "results"
_DISTRIBUTIONS = ("pandas", "pyarrow", "numpy", "abacusai", "fastapi", "uvicorn")
_DECIMALS = {"s": 3, "ms": 2, "us": 2}


def machine_info() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": {name: _version(name) for name in _DISTRIBUTIONS},
    }


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def format_seconds(seconds: float, unit: str) -> str:
    return f"{seconds * UNIT_SCALE[unit]:,.{_DECIMALS[unit]}f} {unit}"


def measurements_table(comparisons: list[Comparison]) -> Table:
    table = Table(title="pymodel bench: measurements", title_justify="left")
    table.add_column("measurement")
    table.add_column("n", justify="right")
    table.add_column("median", justify="right")
    table.add_column("min", justify="right")
    for comparison in comparisons:
        table.add_section()
        table.add_row(f"[bold]{comparison.title}[/bold]", "", "", "")
        for m in comparison.measurements:
            table.add_row(m.name, str(len(m.samples)), format_seconds(m.median, m.unit), format_seconds(m.min, m.unit))
    return table


def ratios_table(comparisons: list[Comparison]) -> Table:
    table = Table(title="pymodel bench: ratios (side by side, same run)", title_justify="left")
    table.add_column("ratio")
    table.add_column("of medians", justify="right")
    table.add_column("of minimums", justify="right")
    for comparison in comparisons:
        for ratio in comparison.ratios:
            table.add_row(ratio.label, f"{ratio.of_medians:,.2f}×", f"{ratio.of_minimums:,.2f}×")
    return table


def print_report(console: Console, comparisons: list[Comparison]) -> None:
    console.print(measurements_table(comparisons))
    console.print(ratios_table(comparisons))
    for comparison in comparisons:
        for note in comparison.notes:
            console.print(f"[dim]{comparison.title}: {note}[/dim]")


def payload(
    started: datetime, seconds: float, settings: dict[str, Any], comparisons: list[Comparison]
) -> dict[str, Any]:
    return {
        "schema": 1,
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "duration_seconds": seconds,
        "machine": machine_info(),
        "settings": settings,
        "comparisons": {c.key: c.to_json() for c in comparisons},
    }


def write_results(started: datetime, content: dict[str, Any], folder: Path = RESULTS_DIR) -> list[Path]:
    """bench-<UTC timestamp>.json for the record and latest.json for whoever compares against the last run."""
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(content, indent=2) + "\n"
    paths = [folder / f"bench-{started.strftime('%Y%m%dT%H%M%SZ')}.json", folder / "latest.json"]
    for path in paths:
        path.write_text(text, encoding="utf-8")
    return paths
