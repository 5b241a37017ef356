#!/usr/bin/env python3
"""Prints what an OCI layout DIR holds beyond its images: blobs that no
manifest reachable from index.json names ("unreferenced HEX") and temporary
names ("left PATH"). Nothing printed: the layout is clean.

Usage: layout-strays.py DIR
"""
import json, os, sys
d = sys.argv[1]
seen, todo = set(), [json.load(open(f"{d}/index.json"))]
while todo:
    o = todo.pop()
    for k in ("config", "subject"):
        if isinstance(o.get(k), dict):
            seen.add(o[k]["digest"][7:])
    for k in ("manifests", "layers", "blobs"):
        for x in o.get(k, []):
            seen.add(x["digest"][7:])
            if "manifest" in x.get("mediaType", "") or "index" in x.get("mediaType", ""):
                todo.append(json.load(open(f"{d}/blobs/sha256/{x['digest'][7:]}")))
for b in sorted(os.listdir(f"{d}/blobs/sha256")):
    if b not in seen:
        print("unreferenced", b)
for root, dirs, files in os.walk(d):
    for f in files + dirs:
        if ".tmp" in f or f.startswith(".bootseal"):
            print("left", os.path.join(root, f))
