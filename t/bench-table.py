#!/usr/bin/env python3
"""make bench: the side-by-side table. Arguments: our results (JSON lines of
../shared/bench/load, labelled as the peers' runs and tagged with the activator
that ran the handlers), the floor's (t/bench-floor.py: a program that only
greets, under the same activator), then the peers' results.jsonl files; medians
per label and activator over all rounds, ratio = ours/theirs, and the floor's
ratio: the best any one-process-per-connection server could show there.
--each FILE: print one peers round's figures as they come."""
import json, statistics, sys

# (label, field, what, goal): the figures of the performance issue.
ROWS = [
    ("smtp-2k-c1", "msgs_per_s", "SMTP 2 KiB, one session per message, c1, msgs/s", ""),
    ("smtp-2k-c16", "msgs_per_s", "SMTP 2 KiB, one session per message, c16, msgs/s", ">= 2.5x"),
    ("smtp-2k-c16", "other_cpu_ms_per_msg", "SMTP server CPU per message, c16, ms", "<= 0.4x"),
    ("smtp-2k-c1", "lat_ms_p50", "SMTP whole-session latency p50, c1, ms", "<= 0.6x"),
    ("pop3-200x2k-c8", "msgs_per_s", "POP3 8 x 200 x 2 KiB, c8, RETR/s", ">= 1.5x"),
    ("pop3-200x2k-c8", "other_cpu_ms_per_msg", "POP3 server CPU per message, ms", "<= 0.6x"),
]


def load(paths):
    runs = []
    for path in paths:
        try:
            with open(path) as f:
                runs += [json.loads(line) for line in f if line.strip()]
        except OSError:
            pass
    return runs


def median(runs, label, field, activator=None):
    values = [r[field] for r in runs if r.get("label") == label and r.get(field) is not None and
              (activator is None or r.get("activator") == activator)]
    return statistics.median(values) if values else None


def number(v):
    return "-" if v is None else ("%.3f" % v if v < 1 else "%.1f" % v if v < 100 else "%.0f" % v)


if sys.argv[1] == "--each":
    runs = load(sys.argv[2:])
    for label in ("smtp-2k-c1", "smtp-2k-c16", "pop3-200x2k-c8"):
        r = [x for x in runs if x.get("label") == label]
        if r:
            print("peers %s: %.0f msgs/s, p50 %.1f ms, server CPU %.3f ms/msg, errors %d, lost %s" % (
                label, r[0]["msgs_per_s"], r[0]["lat_ms_p50"], r[0]["other_cpu_ms_per_msg"], r[0]["errors"],
                r[0].get("lost", "-")))
    sys.exit(0)

def ratio(a, b):
    return "%.2fx" % (a / b) if a is not None and b else "-"


ours, floor, theirs = load(sys.argv[1:2]), load(sys.argv[2:3]), load(sys.argv[3:])
activators = []
for r in ours:
    if r.get("activator") not in activators:
        activators.append(r.get("activator"))
print("| figure | activator | inetmail | Postfix + Dovecot | ratio | goal | greeting-only floor | its ratio |")
print("|---|---|---|---|---|---|---|---|")
for label, field, what, goal in ROWS:
    b = median(theirs, label, field)
    for act in activators:
        a, f = median(ours, label, field, act), median(floor, label, field, act)
        if a is not None:
            print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (what, act, number(a), number(b), ratio(a, b), goal,
                                                                number(f), ratio(f, b)))
