#!/usr/bin/env python3
"""Regenerates the conformance cases of @oar/core.

Usage (Debian's NumPy/PyTorch live in the system Python):
    /usr/bin/python3 tools/conformance/generate.py            # every family
    /usr/bin/python3 tools/conformance/generate.py reduce     # one family

Each module in families/ defines `cases()` returning a list of cases and `REFERENCE`
naming the library that computed the expected values.
"""
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import write  # noqa: E402


def families():
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'families')
    return sorted(f[:-3] for f in os.listdir(d) if f.endswith('.py') and not f.startswith('_'))


def main(argv):
    names = argv or families()
    for name in names:
        mod = importlib.import_module('families.' + name)
        write(name, mod.cases(), mod.REFERENCE)


if __name__ == '__main__':
    main(sys.argv[1:])
