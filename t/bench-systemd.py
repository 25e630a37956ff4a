#!/usr/bin/env python3
"""make bench under the real systemd: the package deployed as README says in a
booted Debian 12 container (t/lib/container.py), loaded from inside it.
  bench-systemd.py up DIR        build the package, boot, deploy; DIR keeps the state
  bench-systemd.py sh DIR SCRIPT run SCRIPT inside (the load generator is /mnt/bench/load,
                                 t/ is /mnt/t, the build /mnt/build)
  bench-systemd.py down DIR      shut it down
For the benchmark only, beside README's steps: plaintext AUTH allowed (the
load's AUTH PLAIN, as under the other activators), the bench users, no limit
per source on port 587 that the load (from one address) would reach, and
greeting.socket (port 2000): t/greeting-only through a socket unit with no
hardening at all, the floor of any per-connection program under systemd."""
import os, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import container

BENCH_USERS = 16
GREETING_UNITS = {
    "greeting.socket": "[Socket]\nListenStream=2000\nAccept=yes\nTriggerLimitIntervalSec=0\nMaxConnections=64\n",
    "greeting@.service": "[Service]\nExecStart=/mnt/build/t/greeting-only\nStandardInput=socket\nStandardOutput=socket\n"
                         "StandardError=journal\n",
}


def up(state):
    log = open(os.path.join(state, "log"), "w")
    deb = container.build_deb(os.path.join(state, "build"), log)
    root = container.ensure_root(deb, log)
    build = os.environ.get("INETMAIL_BUILD") or os.path.join(container.TOP, "build")
    binds = {os.path.dirname(deb): "/mnt/deb", os.path.join(container.TOP, "t"): "/mnt/t", build: "/mnt/build",
             os.path.join(container.TOP, "..", "shared", "bench"): "/mnt/bench"}
    c = container.Container.boot(root, binds, log)
    with open(os.path.join(state, "pids"), "w") as f:
        f.write("%d %d\n" % (c.nspawn, c.init))
    try:
        c.sh("echo '127.0.0.1 mail.example.com' >>/etc/hosts", check=True)
        r = c.sh("cd /mnt/deb && set -e\n" + container.readme_steps("### From the Debian package"), input="bench pw\n",
                 timeout=900)
        if r.returncode:
            raise RuntimeError("README's deploying steps failed:\n" + r.stderr[-2000:])
        units = "".join("cat >/etc/systemd/system/%s <<'EOF'\n%sEOF\n" % (name, text) for name, text in GREETING_UNITS.items())
        users = "for i in $(seq 1 %d); do echo pw | mailctl --scheme sha512crypt add bench$i@bench.test >/dev/null; done\n" \
            % BENCH_USERS
        # The load comes from one address: submission.socket's limit per source (10) would refuse c16.
        dropin = "mkdir -p /etc/systemd/system/submission.socket.d\n" \
            "printf '[Socket]\\nMaxConnectionsPerSource=64\\n' >/etc/systemd/system/submission.socket.d/bench.conf\n"
        c.sh("set -e\necho INETMAIL_PLAINTEXT_AUTH=1 >>/etc/inetmail/inetmail.env\nmailctl domain add bench.test\n" + users +
             units + dropin + "systemctl daemon-reload\nsystemctl restart submission.socket\nsystemctl start greeting.socket\n",
             check=True)
    except BaseException:
        c.halt()
        raise


def attach(state):
    """The container that up left running, or None."""
    try:
        return container.Container(*(int(x) for x in open(os.path.join(state, "pids")).read().split()))
    except (OSError, ValueError):
        return None


what, state = sys.argv[1], sys.argv[2]
if what == "up":
    up(state)
elif what == "sh":
    r = attach(state).sh(sys.argv[3], timeout=3600)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    sys.exit(r.returncode)
elif attach(state):
    attach(state).halt()
