#!/usr/bin/env python3
"""Sum the TRX files under a directory and print `N passed, N failed[, N skipped]`.

Counts come from each test's <UnitTestResult outcome=...>, so a test module that crashed part-way still
reports what it ran. Each failed test is listed first, with the start of its message, so a CI log that keeps
only its tail still names what failed. Exit code: 1 if any test failed, else 0.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
FAILED = {"Failed", "Error", "Timeout", "Aborted"}
SKIPPED = {"NotExecuted", "Inconclusive", "NotRunnable"}

MESSAGE_LINES = 6


def first_lines(result):
    message = result.find(f"{NS}Output/{NS}ErrorInfo/{NS}Message")
    text = (message.text or "") if message is not None else ""
    return [line.rstrip() for line in text.strip().splitlines()[:MESSAGE_LINES]]


passed = failed = skipped = 0
for trx in sorted(pathlib.Path(sys.argv[1]).rglob("*.trx")):
    for result in ET.parse(trx).getroot().iter(f"{NS}UnitTestResult"):
        outcome = result.get("outcome", "")
        if outcome in FAILED:
            failed += 1
            print(f"failed test: {result.get('testName', '?')} ({outcome}, {result.get('duration', '?')})")
            for line in first_lines(result):
                print(f"    {line}")
        elif outcome in SKIPPED:
            skipped += 1
        else:
            passed += 1

line = f"{passed} passed, {failed} failed"
print(line + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
