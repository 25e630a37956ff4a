#!/usr/bin/env python3
"""make bench: connect-to-greeting time of two servers under the same activator,
connections alternating between them so both see the same machine.
Usage: bench-greeting.py N NAME:PORT NAME:PORT"""
import socket, statistics, sys, time

n = int(sys.argv[1])
servers = [(a.split(":")[0], int(a.split(":")[1])) for a in sys.argv[2:]]
times = {name: [] for name, _ in servers}
for i in range(n):
    for name, port in servers:
        t0 = time.perf_counter()
        s = socket.create_connection(("127.0.0.1", port))
        line = s.makefile("rb").readline()
        times[name].append((time.perf_counter() - t0) * 1000)
        s.close()
        if not line.startswith(b"220"):
            sys.exit("%s greeted with %r" % (name, line))
    time.sleep(0.002)  # let both processes end before the next pair
medians = {name: statistics.median(t) for name, t in times.items()}
for name, _ in servers:
    print("%s: connect to greeting p50 %.3f ms, p90 %.3f ms (%d connections)" % (
        name, medians[name], statistics.quantiles(times[name], n=10)[8], n))
first, second = servers[0][0], servers[1][0]
print("difference %s - %s: %.3f ms" % (first, second, medians[first] - medians[second]))
