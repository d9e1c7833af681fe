#!/usr/bin/env python3
"""Memory of a group of processes (the app and its WebKit processes).

  tree-memory.py PID...

Prints one line per process, "pid comm rss_kb pss_kb", then
"footprint <kb>": the memory the group occupies with what its processes
share counted once: each one's private pages, plus, for each shared mapping
(a library's segment, a shared memory file: same file, offset and size),
the most any of them has resident. Unlike the sum of PSS, it does not
depend on which other programs on the machine happen to map the same
libraries (PSS splits a page between all its users, theirs included).
Then "part <kb> <name>" for the eight largest parts of that footprint by
file (a library, the executable) or kind of anonymous memory.
"""
import collections
import sys


def mappings(pid):
    key, fields = None, {}
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and not parts[0].endswith(":"):
                if key is not None:
                    yield key, fields
                start, end = (int(x, 16) for x in parts[0].split("-"))
                path = parts[5] if len(parts) > 5 else ""
                key, fields = (path, parts[2], parts[4], end - start), {}
            elif parts[0].endswith(":") and len(parts) >= 2 and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1])
    if key is not None:
        yield key, fields


def part(path):
    if not path or path.startswith("["):
        return path or "[anon]"
    return path.rsplit("/", 1)[-1]


def main():
    private, shared, parts = 0, {}, collections.Counter()
    for pid in sys.argv[1:]:
        rss = pss = 0
        for key, f in mappings(pid):
            rss += f.get("Rss", 0)
            pss += f.get("Pss", 0)
            own = f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)
            s = f.get("Shared_Clean", 0) + f.get("Shared_Dirty", 0)
            if s and key[0]:  # file-backed or named shared memory
                shared[key] = max(shared.get(key, 0), s)
            else:  # anonymous shared: no name to match it by, count it
                own += s
            private += own
            parts[part(key[0])] += own
        with open(f"/proc/{pid}/comm") as c:
            print(pid, c.read().strip(), rss, pss)
    for key, kb in shared.items():
        parts[part(key[0])] += kb
    print("footprint", private + sum(shared.values()))
    for name, kb in parts.most_common(8):
        print("part", kb, name)


main()
