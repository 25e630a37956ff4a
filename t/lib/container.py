"""A Debian 12 machine booted with systemd as PID 1 (systemd-nspawn, a private
network), inetmail's package installed in it and deployed as README's
"Deploying" says, step by step: what t/systemd-units.t tests and make bench
loads. Needs root (mounts and namespaces).

The root (mmdebstrap: systemd, dbus and the clients the tests run inside, with
what the package's apt-get install brings already downloaded) is built once and
kept under INETMAIL_NSPAWN_CACHE (default /var/cache/inetmail-nspawn), rebuilt
when a day old or when what it must hold changes; each boot runs on a
throw-away overlay of it (--volatile=overlay)."""
import fcntl, os, re, signal, subprocess, time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
CACHE = os.environ.get("INETMAIL_NSPAWN_CACHE", "/var/cache/inetmail-nspawn")
ROOT = os.path.join(CACHE, "bookworm")
MAX_AGE_S = 86400  # as make fresh-check: Debian's updates reach the root within a day
# Installed in the root: systemd as PID 1, and the clients run inside (the network is private).
INCLUDE = ["systemd", "systemd-sysv", "dbus", "python3", "swaks", "libio-socket-ssl-perl", "libauthen-sasl-perl",
           "openssl", "curl", "iproute2", "procps"]
# Downloaded only, beside the package's own dependencies: installed in each boot, from the root's cache.
DOWNLOAD = ["fail2ban", "xinetd"]
BOOT_WAIT_S = 120
CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
             "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}


def missing_tools():
    """Why this machine cannot run a container, or None."""
    if os.geteuid() != 0:
        return "needs root (mounts, namespaces, systemd-nspawn)"
    for tool in ("systemd-nspawn", "mmdebstrap", "nsenter", "dpkg-buildpackage"):
        if subprocess.run(["sh", "-c", "command -v " + tool], stdout=subprocess.DEVNULL).returncode:
            return tool + " is not installed (.ci/deps installs it)"
    if not os.path.isdir("/sys/fs/cgroup/systemd") and not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "no cgroup hierarchy for systemd at /sys/fs/cgroup"
    return None


def build_deb(workdir, log):
    """make deb in a build directory of its own; the path of the .deb."""
    subprocess.run(["make", "-C", TOP, "deb", "BUILD=" + workdir], stdout=log, stderr=log, check=True)
    debs = [f for f in os.listdir(os.path.join(workdir, "deb")) if re.match(r"inetmail_.*\.deb$", f)]
    return os.path.join(workdir, "deb", debs[0])


def deb_field(deb, field):
    return subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True, text=True).stdout.strip()


def ensure_root(deb, log):
    """The cached root, built anew when missing, a day old, or made for other package lists."""
    want = "\n".join(["include: " + ",".join(INCLUDE), "download: " + " ".join(DOWNLOAD),
                      "depends: " + deb_field(deb, "Depends"), "recommends: " + deb_field(deb, "Recommends")]) + "\n"
    stamp = os.path.join(ROOT, ".inetmail-root")

    def current():
        try:
            return open(stamp).read() == want and time.time() - os.path.getmtime(stamp) < MAX_AGE_S
        except OSError:
            return False
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        if current():
            return ROOT
        # Exclusive: it waits for every running container (Container.boot).
        fcntl.flock(lock, fcntl.LOCK_EX)
        if current():
            return ROOT
        new = ROOT + ".new"
        subprocess.run(["rm", "-rf", new], check=True)
        t0 = time.time()
        subprocess.run(["mmdebstrap", "--quiet", "--variant=apt", "--include=" + ",".join(INCLUDE), "bookworm", new],
                       stdout=log, stderr=log, check=True)
        # What apt-get install of the package brings (its dependencies and
        # recommendations), downloaded now: each boot installs it offline.
        debdir = os.path.dirname(deb)
        subprocess.run(["systemd-nspawn", "-q", "--register=no", "--keep-unit", "-D", new, "--bind-ro=%s:/mnt/deb" % debdir,
                        "sh", "-ec", "apt-get update -q; apt-get install -y -q --download-only /mnt/deb/%s %s"
                        % (os.path.basename(deb), " ".join(DOWNLOAD))],
                       stdout=log, stderr=log, check=True, env=CLEAN_ENV)
        with open(os.path.join(new, ".inetmail-root"), "w") as f:
            f.write(want)
        subprocess.run(["rm", "-rf", ROOT], check=True)
        os.rename(new, ROOT)
        print("# built the container root in %d s" % (time.time() - t0), flush=True)
        return ROOT


def readme_steps(heading):
    """The first indented code block after HEADING in README, as one shell script."""
    lines = open(os.path.join(TOP, "README.md")).read().split("\n")
    i = lines.index(heading) + 1
    while not lines[i].startswith("    "):
        i += 1
    block = []
    while i < len(lines) and (lines[i].startswith("    ") or lines[i] == ""):
        block.append(lines[i][4:])
        i += 1
    return "\n".join(block).strip() + "\n"


class Container:
    """A booted container on a throw-away overlay of ROOT: systemd-nspawn's
    process (its group) and the container's init."""

    def __init__(self, nspawn_pid, init_pid):
        self.nspawn, self.init = nspawn_pid, init_pid

    @classmethod
    def boot(cls, root, binds, log):
        """Boots ROOT; binds maps host directories to read-only paths inside.
        systemd-nspawn keeps a shared lock on the cache for as long as it runs,
        so that no rebuild of the root (ensure_root) takes it away meanwhile."""
        args = ["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--private-network", "--volatile=overlay",
                "-D", root, "-b"]
        args += ["--bind-ro=%s:%s" % (host, inside) for host, inside in binds.items()]
        with open(os.path.join(CACHE, "lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            nspawn = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                      pass_fds=(lock.fileno(),))
        c = cls(nspawn.pid, None)
        try:
            c._wait_booted()
        except BaseException:
            c.halt()  # nothing outlives a failed boot
            raise
        return c

    def _wait_booted(self):
        deadline = time.time() + BOOT_WAIT_S
        while time.time() < deadline and self.init is None:
            # nspawn's child becomes the container's init once it has exec'd systemd
            children = subprocess.run(["pgrep", "-P", str(self.nspawn), "-x", "systemd"], capture_output=True,
                                      text=True).stdout.split()
            self.init = int(children[0]) if children else None
            time.sleep(0.1)
        if self.init is None:
            raise RuntimeError("systemd-nspawn started no init")
        state = ""
        # "offline" until PID 1 has made /run/systemd/system, empty until it listens on its bus
        while time.time() < deadline and state in ("", "offline"):
            state = self.sh("systemctl is-system-running --wait", timeout=BOOT_WAIT_S).stdout.strip()
            time.sleep(0.1)
        if state not in ("running", "degraded"):
            raise RuntimeError("the container's systemd is %r" % state)

    def sh(self, script, input=None, timeout=300, check=False):
        """Runs SCRIPT with sh inside, in all the container's namespaces."""
        return subprocess.run(["nsenter", "-t", str(self.init), "-a", "sh", "-c", script], input=input,
                              capture_output=True, text=True, timeout=timeout, env=CLEAN_ENV, check=check)

    def halt(self):
        """SIGTERM to systemd-nspawn is a clean shutdown of the container;
        SIGKILL to its process group after a minute."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.nspawn, sig)
            except ProcessLookupError:
                return
            for _ in range(600):
                try:  # reaped here when it is our child, else by its own parent
                    if os.waitpid(self.nspawn, os.WNOHANG)[0]:
                        return
                except ChildProcessError:
                    if not os.path.exists("/proc/%d" % self.nspawn):
                        return
                time.sleep(0.1)
