"""What a benchmark's figures were measured on: the CPU and the commit."""

import platform
import subprocess
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def cpu_name():
    """The CPU's model name, as lscpu and /proc/cpuinfo give it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*arguments):
    try:
        return subprocess.run(
            ["git", *arguments], cwd=_ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return ""


def commit_name():
    """The checkout's short commit hash, saying so when tracked files differ."""
    commit = _git("rev-parse", "--short", "HEAD") or "unknown commit"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " (uncommitted changes)"
    return commit
