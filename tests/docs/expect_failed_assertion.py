#!/usr/bin/env python3
"""Runs a program that must abort with a failed assert() naming TEXT; exits 0 only if it does."""
import signal
import subprocess
import sys

program, text = sys.argv[1], sys.argv[2]
run = subprocess.run([program], capture_output=True, text=True, check=False)
if run.returncode != -signal.SIGABRT or "Assertion" not in run.stderr or text not in run.stderr:
    sys.exit(f"{program}: expected a failed assertion naming '{text}', got exit status "
             f"{run.returncode} with standard error:\n{run.stderr}")
print(f"{program} aborted on its failed assertion, as it must")
