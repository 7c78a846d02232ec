#!/usr/bin/env python3
"""Fails the build when a subsystem of lib/ includes one that it does not depend on.

Usage: check_layers.py LIB_DIR STAMP NAME=DEP,DEP... ...
Each NAME=DEPS names a folder of LIB_DIR and the folders it may include (besides itself and the
public annal/ headers). An #include "X/..." of a folder X that is a subsystem and not allowed is
reported with its file and line; then the script exits 1 and writes no stamp.
"""
import pathlib
import re
import sys

lib = pathlib.Path(sys.argv[1])
stamp = pathlib.Path(sys.argv[2])
allowed = {}
for arg in sys.argv[3:]:
    name, _, deps = arg.partition("=")
    allowed[name] = {d for d in deps.split(",") if d} | {name}
include = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)/')
problems = []
for name, deps in allowed.items():
    for path in sorted((lib / name).rglob("*")):
        if path.suffix not in (".hpp", ".cpp", ".h"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = include.match(line)
            if match and match.group(1) in allowed and match.group(1) not in deps:
                problems.append(f"{path}:{number}: {name} must not include {match.group(1)}/ "
                                f"({name} may include: {', '.join(sorted(deps - {name})) or 'nothing'})")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
stamp.write_text("layers checked\n", encoding="utf-8")
