#!/usr/bin/env python3
"""What each systemd unit setting costs a connection, under the real systemd (PID 1).

Run as root inside a booted system (make bench runs it in the systemd-nspawn
container of t/bench-systemd.py). Each variant becomes a runtime socket unit with
Accept=yes on a port of its own and a service template of the lines given; the
variants are then loaded in turn, BLOCK connections each, ROUNDS times over,
so that every variant sees the same hours of this machine (its cost of making
a process swings by 4x). Prints one JSON line per variant: medians of
connections/s and of the machine's CPU per connection less this client's.

Usage: bench-units.py [--rounds R] [--block N] [-c C] [--rcpt ADDRESS] [--table] VARIANTS-FILE
VARIANTS-FILE: "[name]" lines, each followed by the [Service] lines of that
variant (ExecStart= included), or by "port = N" for a socket unit that is
already listening (the shipped ones), or by "hardening of = UNIT-FILE" for
that unit's [Service] settings but ExecStart=; a "session = mx|greeting" line in a variant
says what a connection does (greeting: read the greeting and the close; mx: an
SMTP session delivering 2 KiB to RCPT, given by --rcpt)."""
import argparse, asyncio, json, os, resource, statistics, subprocess, sys, time

UNIT_DIR = "/run/systemd/system"
FIRST_PORT = 3700
SETTLE_S = 1.0  # after a block, until what it left to the kernel's threads is done
BODY = b"Subject: bench\r\n\r\n" + (b"x" * 76 + b"\r\n") * 26


def cpu():
    """(this process's CPU seconds, the machine's busy seconds)"""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/stat") as f:
        j = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal: busy is neither idle nor
    # waiting nor stolen by the hypervisor
    return ru.ru_utime + ru.ru_stime, (sum(j[:7]) - j[3] - j[4]) / os.sysconf("SC_CLK_TCK")


def parse(path):
    variants, cur = [], None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = {"name": line[1:-1], "lines": [], "session": "greeting"}
            variants.append(cur)
        elif line.startswith("session = "):
            cur["session"] = line.split("= ", 1)[1]
        elif line.startswith("port = "):
            cur["port"] = int(line.split("= ", 1)[1])
        elif line.startswith("hardening of = "):
            cur["lines"] += service_settings(line.split("= ", 1)[1])
        else:
            cur["lines"].append(line)
    return variants


def service_settings(unit):
    """The [Service] lines of an installed unit but its ExecStart=: its hardening."""
    lines, section = [], None
    for line in open(unit):
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith(("#", "ExecStart=")):
            lines.append(line)
    return lines


def install(variants):
    for i, v in enumerate(variants):
        if "port" in v:
            continue  # a socket unit already listening (the shipped ones)
        name = "inetmail-bench-%d" % i
        with open("%s/%s.socket" % (UNIT_DIR, name), "w") as f:
            f.write("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\nTriggerLimitIntervalSec=0\n"
                    "MaxConnections=64\n" % (FIRST_PORT + i))
        with open("%s/%s@.service" % (UNIT_DIR, name), "w") as f:
            f.write("[Service]\nStandardInput=socket\nStandardOutput=socket\nStandardError=journal\n")
            f.write("\n".join(v["lines"]) + "\n")
        v["unit"], v["port"] = name, FIRST_PORT + i
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    subprocess.run(["systemctl", "start"] + [v["unit"] + ".socket" for v in variants if "unit" in v], check=True)


def remove(variants):
    units = [v["unit"] + ".socket" for v in variants if "unit" in v]
    subprocess.run(["systemctl", "stop"] + units, stderr=subprocess.DEVNULL)
    for v in variants:
        if "unit" not in v:
            continue
        for suffix in (".socket", "@.service"):
            try:
                os.unlink("%s/%s%s" % (UNIT_DIR, v.get("unit", ""), suffix))
            except FileNotFoundError:
                pass
    subprocess.run(["systemctl", "daemon-reload"])


async def expect(reader, code):
    """Reads one reply (all its lines); fails unless it has CODE."""
    while True:
        line = await reader.readline()
        if not line.startswith(code):
            raise RuntimeError("expected %s, got %r" % (code, line))
        if line[3:4] != b"-":
            return


async def one(port, session, rcpt):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await expect(reader, b"220")
    if session == "mx":
        for command, code in ((b"EHLO bench.example", b"250"), (b"MAIL FROM:<bench@elsewhere.example>", b"250"),
                              (b"RCPT TO:<%s>" % rcpt.encode(), b"250"), (b"DATA", b"354")):
            writer.write(command + b"\r\n")
            await expect(reader, code)
        writer.write(BODY + b".\r\n")
        await expect(reader, b"250")
        writer.write(b"QUIT\r\n")
        await expect(reader, b"221")
    await reader.read()  # until the handler has exited and closed
    writer.close()


async def block(v, n, c, rcpt):
    left = [n]

    async def worker():
        while left[0] > 0:
            left[0] -= 1
            await one(v["port"], v["session"], rcpt)
    t0, (own0, busy0) = time.perf_counter(), cpu()
    await asyncio.gather(*(worker() for _ in range(c)))
    t1 = time.perf_counter()
    # The kernel tears namespaces down later, in its own threads: that work is
    # this block's, not the next one's.
    await asyncio.sleep(SETTLE_S)
    own1, busy1 = cpu()
    return n / (t1 - t0), ((busy1 - busy0) - (own1 - own0)) / n * 1000


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--block", type=int, default=100)
    p.add_argument("-c", type=int, default=16)
    p.add_argument("--rcpt", default="bench1@example.com")
    p.add_argument("--table", action="store_true", help="a Markdown table rather than JSON lines")
    p.add_argument("variants")
    a = p.parse_args()
    variants = parse(a.variants)
    try:
        install(variants)
        for v in variants:  # a warm-up block each: templates loaded, caches full
            asyncio.run(block(v, 20, a.c, a.rcpt))
            v["rate"], v["cpu"] = [], []
        for _ in range(a.rounds):
            for v in variants:
                rate, ms = asyncio.run(block(v, a.block, a.c, a.rcpt))
                v["rate"].append(rate)
                v["cpu"].append(ms)
    finally:
        remove(variants)
    base = statistics.median(variants[0]["cpu"])
    if a.table:
        print("| unit (c%d, medians of %d blocks of %d) | connections/s | CPU ms a connection | more than the first |"
              % (a.c, a.rounds, a.block))
        print("|---|---|---|---|")
    for v in variants:
        ms = statistics.median(v["cpu"])
        r = {"variant": v["name"], "session": v["session"], "concurrency": a.c,
             "connections_per_s": round(statistics.median(v["rate"]), 1),
             "cpu_ms_per_connection": round(ms, 2), "cpu_ms_more_than_first": round(ms - base, 2)}
        if a.table:
            print("| %s | %.0f | %.1f | %+.1f |" % (r["variant"], r["connections_per_s"], r["cpu_ms_per_connection"],
                                                  r["cpu_ms_more_than_first"]))
        else:
            print(json.dumps(r))
        sys.stdout.flush()


main()
