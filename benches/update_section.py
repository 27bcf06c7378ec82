#!/usr/bin/env python3
"""Replace (or append) one `## TITLE` section of BENCHMARKS.md with stdin.

Every bench script writes only its own section through this, so the scripts can run in
any order without overwriting each other's results.

    some-bench | python3 benches/update_section.py "unit-watchdog run"
"""
import pathlib
import re
import sys


def main() -> None:
    title = sys.argv[1]
    body = sys.stdin.read().strip()
    section = f"## {title}\n\n{body}\n"
    path = pathlib.Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n")


if __name__ == "__main__":
    main()
