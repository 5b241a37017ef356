#!/usr/bin/env python3
"""Checks examples/github-workflow.yml without GitHub: it parses as YAML, runs
on pull requests and on pushes to main, pull requests seal with an ephemeral
key and never reference a secret, main seals with --key-env from a secret,
every run: block passes bash -n, and every bootseal flag exists.

Usage: workflow.py BOOTSEAL WORKFLOW. Prints TAP lines.
"""
import os
import re
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from containerfile import bootseal_calls, help_flags, result  # noqa: E402
import containerfile  # noqa: E402


def main():
    bootseal, path = sys.argv[1], sys.argv[2]
    name = os.path.basename(path)
    with open(path) as f:
        doc = yaml.safe_load(f)
    result(isinstance(doc, dict), f"{name}: parses as a YAML mapping")
    # YAML 1.1 reads the key `on` as true.
    on = doc.get("on", doc.get(True, {}))
    result("pull_request" in on, f"{name}: runs on pull requests")
    result("main" in ((on.get("push") or {}).get("branches") or []), f"{name}: runs on pushes to main")
    jobs = doc.get("jobs", {})
    needs = [(name, n) for name, job in jobs.items()
             for n in ([job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []))]
    result(jobs and all(n in jobs for _, n in needs) and all("runs-on" in j for j in jobs.values()),
           f"{name}: jobs have runs-on and need only jobs that exist", str(needs))
    steps = [s for job in jobs.values() for s in job.get("steps", [])]
    result(steps and all(("uses" in s) != ("run" in s) for s in steps),
           f"{name}: {len(steps)} steps, each with either uses or run")

    problems, pr_seal, main_seal = [], False, False
    for s in steps:
        cond = str(s.get("if", ""))
        run = s.get("run", "")
        text = yaml.safe_dump(s)
        pr_only = "pull_request" in cond
        main_only = "refs/heads/main" in cond
        if "secrets." in text and not main_only:
            if re.search(r"secrets\.(?!GITHUB_TOKEN)", text):
                problems.append(f"step '{s.get('name')}': a secret outside the main-branch steps")
        script = re.sub(r"\$\{\{[^}]*\}\}", "X", run)
        if run:
            syntax = subprocess.run(["bash", "-n", "-c", script], capture_output=True, text=True)
            if syntax.returncode:
                problems.append(f"step '{s.get('name')}': bash -n: {syntax.stderr.strip()}")
        for call in bootseal_calls(script.replace("\\\n", " ")):
            if not call or call[0].startswith("-"):
                continue
            known = help_flags(bootseal, call[0])
            problems += [f"step '{s.get('name')}': bootseal {call[0]} {a}: no such flag"
                         for a in call[1:] if a.startswith("--") and a not in known]
            if call[0] == "seal" and pr_only:
                pr_seal = "--ephemeral-keys" in call
            if call[0] == "seal" and main_only:
                i = call.index("--key-env") if "--key-env" in call else -1
                var = call[i + 1] if 0 <= i < len(call) - 1 else None
                main_seal = bool(var) and str(s.get("env", {}).get(var, "")).startswith("${{ secrets.")
    result(not problems, f"{name}: secrets, run: syntax and bootseal flags", "; ".join(problems))
    result(pr_seal, f"{name}: pull requests seal with --ephemeral-keys")
    result(main_seal, f"{name}: main seals with --key-env NAME, NAME from a secret")
    return 1 if containerfile.failures else 0


if __name__ == "__main__":
    sys.exit(main())
