#!/usr/bin/env python3
"""make bench: the floor of any per-connection server under this activator.
Connections to a program that only writes a greeting and exits (t/greeting-only),
C at a time: connections/s, the machine's CPU per connection less this client's,
and connect-to-close latency. One JSON line with the fields (and LABEL) of
../shared/bench/load's output, so the table can set it beside a session's figures.
Usage: bench-floor.py PORT N C LABEL"""
import asyncio, json, resource, statistics, sys, time

port, n, c, label = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def cpu():
    """(this process's CPU seconds, the machine's busy seconds)"""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/stat") as f:
        j = [int(x) for x in f.readline().split()[1:]]
    return ru.ru_utime + ru.ru_stime, (sum(j[:8]) - j[3] - j[4]) / 100.0  # USER_HZ


async def one(latencies):
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    greeting = await reader.readline()
    await reader.read()  # until the program has exited and closed
    writer.close()
    latencies.append((time.perf_counter() - t0) * 1000)
    if not greeting.startswith(b"220"):
        sys.exit("greeted with %r" % greeting)


async def main():
    left, latencies = [n], []

    async def worker():
        while left[0] > 0:
            left[0] -= 1
            await one(latencies)
    t0, (own0, busy0) = time.perf_counter(), cpu()
    await asyncio.gather(*(worker() for _ in range(c)))
    t1, (own1, busy1) = time.perf_counter(), cpu()
    print(json.dumps({"label": label, "concurrency": c, "ok": n, "msgs_per_s": n / (t1 - t0),
                      "other_cpu_ms_per_msg": ((busy1 - busy0) - (own1 - own0)) / n * 1000,
                      "lat_ms_p50": statistics.median(latencies)}))

asyncio.run(main())
