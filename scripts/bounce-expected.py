#!/usr/bin/env python3
"""Writes test/fixtures/bounces/expected.json: what Mailman 3's bounce library,
flufl.bounce, finds in every message of the bounce corpus, so that
test/bounces/corpus.test.ts can hold mailroom's parser to it.

flufl.bounce is not a dependency of mailroom; fetch Debian's package once:

    mkdir -p /tmp/flufl && cd /tmp/flufl
    apt-get download python3-flufl.bounce python3-public python3-zope.interface
    for f in *.deb; do dpkg-deb -x "$f" .; done
    PYTHONPATH=/tmp/flufl/usr/lib/python3/dist-packages python3 scripts/bounce-expected.py

For each message it records what Mailman's bounce runner uses, all_failures()
(temporary and permanent addresses), and the detector that decided: scan order is
flufl's own (_scan._find_detectors), first detector with a result wins.
"""

import json
import sys
from email import message_from_binary_file
from pathlib import Path

import flufl.bounce
from flufl.bounce import all_failures
from flufl.bounce._scan import _find_detectors

ROOT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "bounces"
# flufl.bounce's own test messages under flufl/, bounces written by real MTAs under mta/.
# (The hand-written messages at the top of the folder have their own table in parse.test.ts.)
FILES = sorted([*(ROOT / "flufl").glob("*.txt"), *(ROOT / "mta").glob("*.eml")])


def text(addresses):
    return sorted(a.decode("utf-8", "replace") if isinstance(a, bytes) else a for a in addresses)


def deciding_detector(msg):
    for detector in _find_detectors():
        temporary, permanent = detector().process(msg)
        if temporary or permanent:
            return detector.__name__
    return None


def main():
    out = {}
    for path in FILES:
        with path.open("rb") as fp:
            msg = message_from_binary_file(fp)
        temporary, permanent = all_failures(msg)
        out[str(path.relative_to(ROOT))] = {
            "detector": deciding_detector(msg),
            "temporary": text(temporary),
            "permanent": text(permanent),
        }
    doc = {
        "generator": "scripts/bounce-expected.py",
        "library": "flufl.bounce " + flufl.bounce.__version__,
        "messages": out,
    }
    target = ROOT / "expected.json"
    target.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    print(f"{len(out)} messages -> {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
