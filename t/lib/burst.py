#!/usr/bin/env python3
"""A burst of connections to an SMTP port: N connections opened evenly over
SECONDS from SOURCES loopback addresses (127.0.1.1 onwards; default 1, 127.0.0.1), each waiting for the greeting (up to a minute) and then sending QUIT.
Prints one JSON line: how many were greeted, how many closed without a greeting
(refused past the socket's limits), how many failed otherwise, the slowest
greeting, and how long until every connection had its answer.
Usage: burst.py PORT N SECONDS [SOURCES]"""
import asyncio, json, resource, sys, time

port, n, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sources = int(sys.argv[4]) if len(sys.argv) > 4 else 1
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a descriptor for each connection
GREETING_WAIT_S = 60  # a connection in the backlog may wait; one that never gets an answer is a stall


async def one(i, t0, result):
    await asyncio.sleep(i * seconds / n - (time.monotonic() - t0))
    start = time.monotonic()
    try:
        source = ("127.0.%d.%d" % (1 + i % sources // 250, 1 + i % sources % 250), 0) if sources > 1 else None
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, local_addr=source),
                                                GREETING_WAIT_S)
        line = await asyncio.wait_for(reader.readline(), GREETING_WAIT_S)
        if line.startswith(b"220"):
            result["greeted"] += 1
            result["slowest_greeting_s"] = max(result["slowest_greeting_s"], time.monotonic() - start)
            writer.write(b"QUIT\r\n")
            await asyncio.wait_for(reader.read(), GREETING_WAIT_S)
        else:
            result["closed_without_greeting"] += 1
        writer.close()
    except asyncio.TimeoutError:  # first: since Python 3.11 it is an OSError too
        result["timed_out"] += 1
    except OSError:
        result["closed_without_greeting"] += 1


async def main():
    result = {"connections": n, "greeted": 0, "closed_without_greeting": 0, "timed_out": 0, "slowest_greeting_s": 0.0}
    t0 = time.monotonic()
    await asyncio.gather(*(one(i, t0, result) for i in range(n)))
    result["all_answered_after_s"] = round(time.monotonic() - t0, 2)
    result["slowest_greeting_s"] = round(result["slowest_greeting_s"], 2)
    print(json.dumps(result))

asyncio.run(main())
