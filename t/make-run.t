#!/bin/sh
# make run, the README's first command: serve, the printed commands work, Ctrl-C stops all.
TOP=$(cd "$(dirname "$0")/.." && pwd)
python3 "$TOP/t/lib/make_run.py"
