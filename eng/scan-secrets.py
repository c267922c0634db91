#!/usr/bin/env python3
"""Scan a tree for committed secrets: private keys, cloud and platform tokens, SomaAgent API keys, passwords.

    python3 eng/scan-secrets.py [FOLDER]     (default: the repository root)

In a git work tree it reads the files git would commit (tracked, plus untracked ones not ignored); elsewhere it
walks the folder. Each finding prints as `path:line: rule: <masked match>` (never the whole secret) and the exit code
is 1; a clean tree prints a one-line summary and exits 0. A line that holds a deliberate stand-in (a test value,
a documented example) says so with `secret-scan: allow` on the same line; whole files of recorded fixtures are
listed, as globs, in `.secret-scan-allow` at the folder's root.
"""
import fnmatch
import pathlib
import re
import subprocess
import sys

RULES = [
    ("private-key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----")),
    ("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("slack-token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    ("openai-api-key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9]{32,}")),
    ("somaagent-api-key", re.compile(r"\bsk_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")),
    ("json-web-token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    # A literal password in a connection string or URI; $(VAR), ${VAR} and {expression} are references, not values.
    ("password-in-connection-string", re.compile(r"(?i)\bpassword=(?![$\{\[<*])[^;\"'\s,)]{8,}")),
    ("password-in-uri", re.compile(r"://[^/\s:@]+:(?![$\{\[<*])[^@\s/]{8,}@")),
]
ALLOW_MARKER = "secret-scan: allow"
SKIPPED_FOLDERS = {".git", "node_modules", "bin", "obj", "artifacts", ".data"}
MAX_BYTES = 2 * 1024 * 1024


def files_of(root: pathlib.Path):
    try:
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            check=True, capture_output=True).stdout.decode().split("\0")
        return [root / name for name in listed if name]
    except (subprocess.CalledProcessError, FileNotFoundError):
        return [path for path in root.rglob("*")
                if path.is_file() and not SKIPPED_FOLDERS.intersection(path.relative_to(root).parts)]


def allowed_globs(root: pathlib.Path):
    allow = root / ".secret-scan-allow"
    if not allow.is_file():
        return []
    lines = allow.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def mask(secret: str) -> str:
    return secret[:6] + "…" + f"({len(secret)} chars)"


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent).resolve()
    globs = allowed_globs(root)
    findings = scanned = 0
    for path in sorted(files_of(root)):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or path.stat().st_size > MAX_BYTES or any(fnmatch.fnmatch(relative, g) for g in globs):
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        scanned += 1
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            if ALLOW_MARKER in line:
                continue
            for rule, pattern in RULES:
                for match in pattern.finditer(line):
                    findings += 1
                    print(f"{relative}:{number}: {rule}: {mask(match.group(0))}")
    if findings:
        print(f"scan-secrets: {findings} possible secret(s) in {scanned} files. Remove them (and rotate them: they were "
              f"exposed), or mark a deliberate stand-in with '{ALLOW_MARKER}' on its line.")
        return 1
    print(f"scan-secrets: no secrets in {scanned} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
