"""Write a benchmark's table into README.md between its markers, `<!-- NAME:start -->` and `<!-- NAME:end -->`."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def machine() -> str:
    """The machine a figure was measured on, for the line under each table."""
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.machine()}, "
            f"{platform.python_implementation()} {platform.python_version()}")


def write_section(name: str, text: str) -> None:
    readme = README.read_text(encoding="utf-8")
    pattern = rf"(<!-- {name}:start -->\n).*?(\n<!-- {name}:end -->)"
    if not re.search(pattern, readme, flags=re.S):
        raise SystemExit(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> markers")
    README.write_text(re.sub(pattern, lambda m: m.group(1) + text + m.group(2), readme, flags=re.S),
                      encoding="utf-8")
