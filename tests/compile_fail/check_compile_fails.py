#!/usr/bin/env python3
"""Compiles one source that must not compile, and checks the compiler says what it promises.

Usage: check_compile_fails.py SOURCE -- COMPILER ARGS...
The source names the expected message in a line '// expect: TEXT'.
"""
import re
import subprocess
import sys

source = sys.argv[1]
compiler = sys.argv[sys.argv.index("--") + 1:]
with open(source, encoding="utf-8") as f:
    expected = re.findall(r"^// expect: (.+)$", f.read(), flags=re.M)
if not expected:
    sys.exit(f"{source}: no '// expect:' line")
run = subprocess.run(compiler + ["-fsyntax-only", source], capture_output=True, text=True)
if run.returncode == 0:
    sys.exit(f"{source} compiled, but must not")
for text in expected:
    if text not in run.stderr:
        print(run.stderr[-4000:])
        sys.exit(f"{source}: the compiler did not say: {text}")
print(f"{source}: fails to compile as promised")
