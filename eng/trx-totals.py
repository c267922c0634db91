#!/usr/bin/env python3
"""Sum the TRX files under a directory and print `N passed, N failed[, N skipped]`.

Counts come from each test's <UnitTestResult outcome=...>, so a test module that crashed part-way still
reports what it ran. Exit code: 1 if any test failed, else 0.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
FAILED = {"Failed", "Error", "Timeout", "Aborted"}
SKIPPED = {"NotExecuted", "Inconclusive", "NotRunnable"}

passed = failed = skipped = 0
for trx in sorted(pathlib.Path(sys.argv[1]).rglob("*.trx")):
    for result in ET.parse(trx).getroot().iter(f"{NS}UnitTestResult"):
        outcome = result.get("outcome", "")
        if outcome in FAILED:
            failed += 1
        elif outcome in SKIPPED:
            skipped += 1
        else:
            passed += 1

line = f"{passed} passed, {failed} failed"
print(line + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
