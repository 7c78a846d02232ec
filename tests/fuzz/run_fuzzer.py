#!/usr/bin/env python3
"""Runs a libFuzzer target for a fixed time on its corpus and prints how many inputs it ran.

Usage: run_fuzzer.py FUZZER SEED_CORPUS WORK_DIR SECONDS
New inputs go to WORK_DIR (in the build directory), never to the seed corpus in the source tree.
Exits with the fuzzer's status: non-zero on a crash, hang, leak or sanitizer report.
"""
import os
import re
import subprocess
import sys

fuzzer, seeds, work, seconds = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
# libFuzzer exits with 77 on a finding by default, which Meson takes for "skipped": make every
# finding a failure.
command = [fuzzer, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048",
           "-error_exitcode=1", "-timeout_exitcode=1",
           "-print_final_stats=1", f"-artifact_prefix={work}/", work, seeds]
run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                     errors="replace")
executions = re.search(r"stat::number_of_executed_units:\s*(\d+)", run.stdout)
if run.returncode != 0 or executions is None:
    print(run.stdout[-20000:])
print(f"{os.path.basename(fuzzer)}: {executions.group(1) if executions else '?'} executions "
      f"in {seconds} s, exit status {run.returncode}")
sys.exit(run.returncode)
