#!/usr/bin/env python3
"""Prints 'N passed, N failed' summed over Meson testlog.json files, the closing line CI reads.

A log that is missing (its build failed before any test ran) counts as one failure.
"""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        log = open(path, encoding="utf-8")
    except FileNotFoundError:
        failed += 1
        continue
    with log:
        for line in log:
            line = line.strip()
            if not line:
                continue
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
summary = f"{passed} passed, {failed} failed"
if skipped:
    summary += f", {skipped} skipped"
print(summary)
