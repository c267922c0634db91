#!/usr/bin/env python3
"""Judge `dotnet list package --vulnerable --include-transitive --format json` output.

    python3 eng/vulnerable-packages.py REPORT.json [--min-severity low|moderate|high|critical]

Prints each vulnerable package with its project, version, severity and advisory, and exits 1 when any is at or above
the minimum severity (default: low, so every known vulnerability fails), 0 when none is, and 2 when the report is
not one dotnet wrote (so a broken listing never passes as a clean one).
"""
import json
import sys

SEVERITIES = ["low", "moderate", "high", "critical"]


def main() -> int:
    args = sys.argv[1:]
    minimum = "low"
    if "--min-severity" in args:
        at = args.index("--min-severity")
        minimum = args[at + 1].lower() if at + 1 < len(args) else ""
        del args[at:at + 2]
    if len(args) != 1 or minimum not in SEVERITIES:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as report_file:
            report = json.load(report_file)
        projects = report["projects"]
        if report.get("version") != 1 or not isinstance(projects, list):
            raise ValueError(f"unexpected report version {report.get('version')!r}")
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"vulnerable-packages: {args[0]} is not a `dotnet list package --format json` report: {error}")
        return 2
    problems = [f"{problem['level']}: {problem['text']}" for problem in report.get("problems", [])]
    failing = found = 0
    for project in projects:
        for framework in project.get("frameworks", []):
            for kind in ("topLevelPackages", "transitivePackages"):
                for package in framework.get(kind, []):
                    for vulnerability in package.get("vulnerabilities", []):
                        severity = vulnerability.get("severity", "unknown").lower()
                        found += 1
                        # A severity this script does not know counts as critical: better a false alarm.
                        fails = SEVERITIES.index(severity if severity in SEVERITIES else "critical") >= SEVERITIES.index(minimum)
                        failing += fails
                        print(f"{'FAIL' if fails else 'note'} {project['path']} [{framework.get('framework', '?')}] "
                              f"{package['id']} {package.get('resolvedVersion', '?')} ({'direct' if kind == 'topLevelPackages' else 'transitive'}): "
                              f"{severity}, {vulnerability.get('advisoryurl', 'no advisory')}")
    for problem in problems:
        print(f"vulnerable-packages: dotnet reported {problem}")
    print(f"vulnerable-packages: {found} vulnerable package(s) in {len(projects)} projects; {failing} at or above {minimum}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
