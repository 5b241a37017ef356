#!/usr/bin/env python3
"""Draws the layout of lib/ and prints its circles, one a line.

Usage: layout-graph.py includes TOP
    A node per module: lib/X.c, lib/X.h and include/bootseal/X.h together; an
    edge where a module's file includes another module's header.
Usage: layout-graph.py calls OBJ...
    A node per object file of the library; an edge where one calls (or reads)
    a symbol another defines, from `nm` of the objects.

Prints "cycle A -> B -> A" for every strongly connected component of more
than one node (the shortest circle through it), nothing when there is none.
"""
import os, re, subprocess, sys
from collections import defaultdict, deque


def module(path):
    base = os.path.basename(path)
    return re.sub(r'\.[ch]$', '', base)


def includes(top):
    edges = defaultdict(set)
    files = [os.path.join(top, 'lib', f) for f in os.listdir(os.path.join(top, 'lib')) if f.endswith(('.c', '.h'))]
    inc = os.path.join(top, 'include', 'bootseal')
    files += [os.path.join(inc, f) for f in os.listdir(inc) if f.endswith('.h')]
    known = {module(f) for f in files}
    for f in files:
        src = module(f)
        edges[src]
        for m in re.finditer(r'^\s*#\s*include\s*[<"](?:bootseal/)?([A-Za-z0-9_-]+)\.h[>"]', open(f).read(), re.M):
            dst = m.group(1)
            if dst in known and dst != src:
                edges[src].add(dst)
    return edges


def calls(objs):
    defined, used = {}, defaultdict(set)
    for o in objs:
        n = re.sub(r'(\.c)?\.o$', '', os.path.basename(o))
        out = subprocess.run(['nm', o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in 'TDRBC':
                defined[parts[2]] = n
            elif len(parts) == 2 and parts[0] == 'U':
                used[n].add(parts[1])
    edges = defaultdict(set)
    for n, syms in used.items():
        edges[n] |= {defined[s] for s in syms if s in defined and defined[s] != n}
    return edges


def components(edges):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out, i = {}, {}, set(), [], [], [0]
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = i[0]; i[0] += 1; stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = i[0]; i[0] += 1; stack.append(w); on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def circle(edges, comp):
    """The shortest path from the component's first node back to itself."""
    start, inside = comp[0], set(comp)
    prev, todo = {}, deque([start])
    while todo:
        v = todo.popleft()
        for w in sorted(edges[v]):
            if w not in inside:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                todo.append(w)
    return comp


if __name__ == '__main__':
    if len(sys.argv) < 3 or sys.argv[1] not in ('includes', 'calls'):
        sys.exit(__doc__)
    g = includes(sys.argv[2]) if sys.argv[1] == 'includes' else calls(sys.argv[2:])
    for comp in components(g):
        print('cycle', ' -> '.join(circle(g, comp)), f'({len(comp)} in the circle: {" ".join(comp)})')
