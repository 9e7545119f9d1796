"""Sums up the fuzz runs from their logs: operations tested, cases generated, failures.

    python3 tests/fuzz/summary.py fuzz-office.log fuzz-admin.log
"""
import re
import sys

total = {"generated": 0, "passed": 0, "failures": 0}
for path in sys.argv[1:]:
    text = open(path).read()
    tested = re.search(r"Tested: (\d+)", text)
    cases = re.search(r"Test cases:\n\s+(\d+) generated(?:, (\d+) passed)?(?:, (\d+) found)?", text)
    generated = int(cases.group(1)) if cases else 0
    passed = int(cases.group(2) or 0) if cases else 0
    failures = int(cases.group(3) or 0) if cases else 0
    errors = re.search(r"(\d+) errored", text)
    failures += int(errors.group(1)) if errors else 0
    total["generated"] += generated
    total["passed"] += passed
    total["failures"] += failures
    print(f"{path}: {tested.group(1) if tested else '?'} operations, {generated} cases, {failures} failing")
print(f"in all: {total['generated']} cases, {total['failures']} failing")
