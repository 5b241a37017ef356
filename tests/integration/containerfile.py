#!/usr/bin/env python3
"""Checks a Containerfile without a container runtime (hadolint is not in
Debian 12): instruction keywords, stage names, COPY --from and
RUN --mount=...,from= references, build secrets (declared, required, used,
never copied into a layer), bootc's labels on the final stage, RUN shell
syntax (sh -n), and every `bootseal CMD --flag` against `bootseal CMD --help`.

Usage: containerfile.py BOOTSEAL CONTAINERFILE [EMIT_DIR]
Prints TAP lines. With EMIT_DIR, writes the RUN commands of each named stage
to EMIT_DIR/STAGE.sh so a test can run them against a directory.
"""
import os
import re
import shlex
import subprocess
import sys

KEYWORDS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
            "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
failures = 0


def result(ok, name, detail=""):
    global failures
    print(("ok - " if ok else "not ok - ") + name)
    if not ok:
        failures += 1
        if detail:
            print("#   " + detail)


def instructions(path):
    """(line number, keyword as written, rest) with continuations joined and comments dropped."""
    out, cur, start = [], "", 0
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.lstrip().startswith("#"):
                continue
            if not cur and not line.strip():
                continue
            if not cur:
                start = n
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            cur += line
            word, _, rest = cur.strip().partition(" ")
            out.append((start, word, rest.strip()))
            cur = ""
    if cur:
        out.append((start, "<unterminated>", cur))
    return out


def flags(rest):
    """Leading --name=value flags of an instruction, and what follows."""
    found = []
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        found.append(flag)
        rest = rest.strip()
    return found, rest


def help_flags(bootseal, *cmd):
    text = subprocess.run([bootseal, *cmd, "--help"], capture_output=True, text=True).stdout
    return set(re.findall(r"--[a-z][a-z0-9-]*", text)) | {"--help"}


def bootseal_calls(script):
    """Each `bootseal ...` command of a shell script, as tokens."""
    calls = []
    for part in re.split(r"&&|\|\||;|\||\n", script.replace("\\\n", " ")):
        try:
            tokens = shlex.split(part)
        except ValueError:
            continue
        if tokens and tokens[0] == "bootseal":
            calls.append(tokens[1:])
    return calls


def main():
    bootseal, path = sys.argv[1], sys.argv[2]
    emit = sys.argv[3] if len(sys.argv) > 3 else None
    insns = instructions(path)
    name = os.path.basename(path)

    bad = [f"line {n}: {w}" for n, w, _ in insns if w not in KEYWORDS]
    result(not bad, f"{name}: every instruction is a Containerfile keyword, in capitals", "; ".join(bad))

    stages, current, args = [], None, {}
    secrets_declared, secrets_used, problems = set(), set(), []
    runs = {}
    for n, word, rest in insns:
        if word == "ARG" and current is None:
            key, _, value = rest.partition("=")
            args[key] = value
        elif word == "FROM":
            _, rest = flags(rest)
            parts = rest.split()
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), parts[0])
            if "$" in image:
                problems.append(f"line {n}: FROM {parts[0]}: undefined ARG")
            if len(parts) == 3 and parts[1].upper() == "AS":
                if parts[2] in [s["name"] for s in stages]:
                    problems.append(f"line {n}: stage {parts[2]} defined twice")
                current = {"name": parts[2], "base": image, "labels": {}, "line": n}
            elif len(parts) == 1:
                current = {"name": None, "base": image, "labels": {}, "line": n}
            else:
                problems.append(f"line {n}: FROM {rest}: expected IMAGE [AS NAME]")
                current = {"name": None, "base": image, "labels": {}, "line": n}
            stages.append(current)
        elif current is None:
            problems.append(f"line {n}: {word} before the first FROM")
        elif word in ("COPY", "ADD"):
            fl, rest = flags(rest)
            for f in fl:
                if f.startswith("--from="):
                    ref = f[len("--from="):]
                    earlier = [s["name"] for s in stages[:-1]]
                    if ref not in earlier and not ref.isdigit():
                        problems.append(f"line {n}: COPY --from={ref}: no earlier stage of that name")
            if "/run/secrets" in rest or re.search(r"\.(key|pem)\b", rest):
                problems.append(f"line {n}: {word} {rest}: a key would end up in a layer")
        elif word == "RUN":
            fl, script = flags(rest)
            mounted = set()
            for f in fl:
                if not f.startswith("--mount="):
                    continue
                opts = dict(kv.partition("=")[::2] for kv in f[len("--mount="):].split(","))
                if "from" in opts and opts["from"] not in [s["name"] for s in stages[:-1]]:
                    problems.append(f"line {n}: --mount from={opts['from']}: no earlier stage of that name")
                if opts.get("type") == "secret":
                    sid = opts.get("id")
                    if not sid:
                        problems.append(f"line {n}: a secret mount without id")
                        continue
                    secrets_declared.add(sid)
                    mounted.add(opts.get("target", opts.get("dst", f"/run/secrets/{sid}")))
                    if opts.get("required") != "true":
                        problems.append(f"line {n}: secret {sid} is not required=true (a build without it would sign nothing)")
            for ref in set(re.findall(r"/run/secrets/[A-Za-z0-9_.-]+", script)):
                secrets_used.add(ref.rsplit("/", 1)[1])
                if ref not in mounted:
                    problems.append(f"line {n}: {ref} is used but not mounted in this RUN")
            for target in mounted:
                if target not in script:
                    problems.append(f"line {n}: secret {target} is mounted but never used")
            syntax = subprocess.run(["sh", "-n", "-c", script], capture_output=True, text=True)
            if syntax.returncode:
                problems.append(f"line {n}: sh -n: {syntax.stderr.strip()}")
            runs.setdefault(current["name"], []).append(script)
            for call in bootseal_calls(script):
                if not call or call[0].startswith("-"):
                    continue
                cmd = call[0]
                known = help_flags(bootseal, cmd)
                rest_args = call[1:]
                if cmd == "container":
                    ukify = help_flags(bootseal, "ukify")
                    sep = rest_args.index("--") if "--" in rest_args else len(rest_args)
                    for a in rest_args[sep + 1:]:
                        if a.startswith("--") and a.split("=")[0] not in ukify:
                            problems.append(f"line {n}: bootseal container ukify -- {a}: not a ukify build flag")
                    rest_args = rest_args[:sep]
                for a in rest_args:
                    if a.startswith("--") and a.split("=")[0] not in known:
                        problems.append(f"line {n}: bootseal {cmd} {a}: no such flag (bootseal {cmd} --help)")
        elif word == "LABEL":
            for tok in shlex.split(rest):
                key, _, value = tok.partition("=")
                current["labels"][key] = value

    result(not problems, f"{name}: stages, references, secrets, RUN syntax and bootseal flags", "; ".join(problems))
    named = [s["name"] for s in stages if s["name"]]
    print(f"# {name}: {len(stages)} stages ({', '.join(named)}, final)")
    final = stages[-1] if stages else {"labels": {}, "base": ""}
    result(final["labels"].get("containers.bootc") == "1" and final["labels"].get("ostree.bootable") == "1",
           f"{name}: the final stage has the labels containers.bootc=1 and ostree.bootable=1", str(final["labels"]))
    by_name, base, chain = {s["name"]: s for s in stages if s["name"]}, final["base"], []
    while base in by_name and base not in chain:
        chain.append(base)
        base = by_name[base]["base"]
    result(base == "scratch", f"{name}: the final stage builds on a flattened FROM scratch stage",
           " <- ".join(chain + [base]))
    result(secrets_declared == {"db_key", "db_cert"} and secrets_used == secrets_declared,
           f"{name}: the keys are the build secrets db_key and db_cert",
           f"declared {sorted(secrets_declared)}, used {sorted(secrets_used)}")
    if emit:
        os.makedirs(emit, exist_ok=True)
        for stage, scripts in runs.items():
            if stage:
                with open(os.path.join(emit, stage + ".sh"), "w") as f:
                    f.write("set -eu\n" + "\n".join(scripts) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
