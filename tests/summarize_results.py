#!/usr/bin/env python3
"""Prints 'N passed, N failed' summed over Meson testlog.json files, the closing line CI reads.

Each test that did not pass is named on a line of its own just before, with its build directory
and result, so that the last lines of a CI log say what failed. A log that is missing (its build
failed before any test ran) counts as one failure.
"""
import json
import os
import sys

passed = failed = skipped = 0
not_passed = []
for path in sys.argv[1:]:
    build_dir = os.path.dirname(os.path.dirname(path))
    try:
        log = open(path, encoding="utf-8")
    except FileNotFoundError:
        failed += 1
        not_passed.append(f"{build_dir}: no test log (the build failed)")
        continue
    with log:
        for line in log:
            line = line.strip()
            if not line:
                continue
            test = json.loads(line)
            result = test["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
                not_passed.append(f"{build_dir}: {test['name']} SKIP")
            else:
                failed += 1
                seconds = test.get("duration", 0)
                not_passed.append(f"{build_dir}: {test['name']} {result} after {seconds:.0f} s")
for line in not_passed:
    print(line)
summary = f"{passed} passed, {failed} failed"
if skipped:
    summary += f", {skipped} skipped"
print(summary)
