#!/usr/bin/env python3
"""Puts the imports of Java files in the order config/checkstyle.xml asks for: static imports
first, then all others, each group sorted (ASCII) with duplicates dropped, one blank line
between the groups. Only the import block is touched; a file whose import block holds
anything but imports and blank lines is left alone and named.

Usage: config/sort-imports.py [FILE_OR_DIR...]   (default: the whole checkout)
"""
import os
import re
import sys

IMPORT = re.compile(r'^import\s+(static\s+)?([\w.]+(?:\.\*)?)\s*;\s*$')


def sort_file(path):
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    idx = [i for i, line in enumerate(lines) if IMPORT.match(line)]
    if not idx:
        return False
    first, last = idx[0], idx[-1]
    block = lines[first:last + 1]
    if any(line.strip() and not IMPORT.match(line) for line in block):
        print(f'{path}: import block holds other lines; not changed', file=sys.stderr)
        return False
    statics, others = set(), set()
    for line in block:
        m = IMPORT.match(line)
        if m:
            (statics if m.group(1) else others).add(m.group(2))
    new = [f'import static {name};' for name in sorted(statics)]
    if statics and others:
        new.append('')
    new += [f'import {name};' for name in sorted(others)]
    if new == block:
        return False
    lines[first:last + 1] = new
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    return True


def java_files(roots):
    for root in roots:
        if os.path.isfile(root):
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != 'target' and not d.startswith('.')]
            for name in filenames:
                if name.endswith('.java') and name != 'module-info.java':
                    yield os.path.join(dirpath, name)


def main():
    roots = sys.argv[1:] or [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    changed = [p for p in java_files(roots) if sort_file(p)]
    for p in changed:
        print(p)
    print(f'{len(changed)} file(s) reordered', file=sys.stderr)


if __name__ == '__main__':
    main()
