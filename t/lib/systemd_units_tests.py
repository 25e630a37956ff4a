#!/usr/bin/env python3
"""inetmail as an administrator runs it (t/systemd-units.t): the package that
make deb builds, installed in a freshly booted Debian 12 (systemd 252 as PID 1,
systemd-nspawn, a private network) with README's Deploying steps run as
written, then every socket unit, the relay agent's unit, the journal and
fail2ban's shipped jail through the real systemd."""
import json, os, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap
import container

tap = Tap()
work = tempfile.mkdtemp(prefix="inetmail-units.", dir="/var/tmp")
log = open(os.path.join(work, "log"), "w")
PASSWORD = "alice pw"


def json_of(result):
    try:
        return json.loads(result.stdout.strip().split("\n")[-1])
    except (ValueError, IndexError):
        tap.diag("exit %d; stdout %r; stderr %s" % (result.returncode, result.stdout[-500:], result.stderr[-1500:]))
        return {}


c = None
try:
    deb = container.build_deb(os.path.join(work, "build"), log)
    tap.ok(os.path.exists(deb), "make deb builds %s, lintian clean" % os.path.basename(deb))
    root = container.ensure_root(deb, log)
    c = container.Container.boot(root, {os.path.dirname(deb): "/mnt/deb", os.path.join(container.TOP, "t"): "/mnt/t"},
                                 log)
    # The machine's own facts, not README's: its name, the addresses of the
    # fail2ban case, and no sshd log for Debian's default jail to read.
    c.sh("echo '127.0.0.1 mail.example.com' >>/etc/hosts; ip addr add 192.0.2.1/32 dev lo; ip addr add 192.0.2.10/32 dev lo",
         check=True)

    steps = container.readme_steps("### From the Debian package")
    r = c.sh("cd /mnt/deb && set -ex\n" + steps, input=PASSWORD + "\n", timeout=900)
    if not tap.ok(r.returncode == 0, "README's Deploying steps, as written, succeed (%d lines)" % steps.count("\n")):
        tap.diag(r.stderr[-3000:])
    r = c.sh("dpkg-query -W -f '${Status}\n' inetmail mariadb-server; id -nG inetmail_smtp; id -nG inetmail_pop3;"
             " id -nG inetmail_imap")
    lines = r.stdout.split("\n")
    tap.is_(lines[:2], ["install ok installed"] * 2, "apt-get install of the package alone brought MariaDB")
    tap.ok(len(lines) > 4 and all("inetmail" in lines[k].split() for k in (2, 3, 4)),
           "the package made inetmail_smtp, inetmail_pop3 and inetmail_imap, in group inetmail")
    r = c.sh("for u in smtp pop3 imap relay admin; do runuser -u nobody -- mariadb -u inetmail_$u -e 'SELECT 1' inetmail"
             " >/dev/null 2>&1 && echo in; done; runuser -u inetmail_smtp -- mariadb -u inetmail_smtp -N -e 'SELECT 1' inetmail")
    tap.is_(r.stdout.split(), ["1"], "the database lets inetmail_smtp in as itself and nobody in as any inetmail user")
    r = c.sh("systemctl is-active smtp.socket submission.socket submissions.socket pop3.socket pop3s.socket imap.socket"
             " imaps.socket inetmail-relay")
    if not tap.is_(r.stdout.split(), ["active"] * 8, "the seven sockets and the relay agent are active"):
        tap.diag(c.sh("systemctl --failed --no-pager; systemctl status --no-pager smtp.socket inetmail-relay;"
                      " journalctl --no-pager -b -n 40").stdout)

    for mode in ("submission", "mx", "submissions"):
        out = json_of(c.sh("python3 -P /mnt/t/lib/deployed_clients.py %s 'through %s'" % (mode, mode)))
        tap.ok(out.get("refused") == {} and out.get("tls", "").startswith("TLSv1."),
               "%s: delivered over %s (%s)" % (mode, "implicit TLS" if mode == "submissions" else "STARTTLS",
                                               out.get("tls")))
    for mode in ("pop3", "pop3s", "imap", "imaps"):
        out = json_of(c.sh("python3 -P /mnt/t/lib/deployed_clients.py " + mode))
        tap.is_(sorted(out.get("subjects", [])), ["through mx", "through submission", "through submissions"],
                "%s: alice reads the three over %s (%s)" % (mode, "implicit TLS" if mode.endswith("s") else
                                                            "STLS" if mode == "pop3" else "STARTTLS", out.get("tls")))

    # A handler while its session is open: its user, no capabilities, no network.
    holder = c.sh("python3 -P /mnt/t/lib/deployed_clients.py hold 25 4 >/dev/null 2>&1 & sleep 1.5; "
                  "p=$(pgrep -u inetmail_smtp -n smtp-handler); id -u inetmail_smtp; ps -o uid= -p $p | tr -d ' '; "
                  "runuser -u inetmail_smtp -- cat /proc/$p/environ >/dev/null 2>&1 || echo not-readable; "
                  "grep -E '^Cap(Eff|Bnd)' /proc/$p/status | tr -d '\\t'; "
                  "[ $(readlink /proc/$p/ns/net) != $(readlink /proc/1/ns/net) ] && echo private-network; "
                  "grep -E '^(NoNewPrivs|Seccomp):' /proc/$p/status | tr -d '\\t'; "
                  "grep -E '^Max (address space|core file size)' /proc/$p/limits | tr -s ' '; wait")
    lines = holder.stdout.split("\n")
    smtp_uid = lines[0]
    tap.ok(len(lines) > 2 and lines[0] == lines[1], "smtp-handler runs as inetmail_smtp (uid %s)" % lines[0])
    tap.ok("not-readable" in lines, "another process of inetmail_smtp cannot read its /proc files (not dumpable)")
    tap.ok("CapEff:0000000000000000" in lines and "CapBnd:0000000000000000" in lines, "with no capabilities")
    tap.ok("private-network" not in lines and "NoNewPrivs:1" in lines and "Seccomp:2" in lines,
           "MX mode in the host's network (its checks ask DNS and rspamd), no new privileges, a system call filter")
    sub = c.sh("python3 -P /mnt/t/lib/deployed_clients.py hold 587 3 >/dev/null 2>&1 & sleep 1.5; "
               "p=$(pgrep -u inetmail_smtp -n smtp-handler); "
               "[ $(readlink /proc/$p/ns/net) != $(readlink /proc/1/ns/net) ] && echo private-network; wait")
    tap.ok("private-network" in sub.stdout, "submission in a network namespace of its own")
    tap.ok(any(l.startswith("Max core file size 0 0 ") for l in lines) and
           any(l.startswith("Max address space 268435456 268435456 ") for l in lines),
           "no core files, 256 MiB of address space: the handler's own limits hold under the system call filter")

    entries = [json.loads(l) for l in c.sh("journalctl -o json SYSLOG_IDENTIFIER=smtp-handler").stdout.split("\n") if l]
    quits = [e for e in entries if e.get("INETMAIL_RESULT") == "quit"]
    tap.ok(len(quits) >= 3 and all(e.get("INETMAIL_SESSION") and e.get("INETMAIL_PEER") == "127.0.0.1" for e in quits),
           "the real journal has each session's line with INETMAIL_SESSION, INETMAIL_PEER, INETMAIL_RESULT")
    tap.ok(all(e.get("_SYSTEMD_UNIT", "").startswith(("smtp@", "submission@", "submissions@")) and
               e.get("_UID") == smtp_uid and e.get("SYSLOG_FACILITY") == "2" for e in quits),
           "from the per-connection units, as inetmail_smtp, facility mail")

    # fail2ban installed as the package suggests, its shipped jail (systemd backend) enabled, a test action.
    c.sh("apt-get install -y -q fail2ban >/dev/null; printf '[sshd]\\nenabled = false\\n[inetmail]\\nenabled = true\\naction = dummy\\nmaxretry = 3\\n'"
         " >/etc/fail2ban/jail.d/zz-test.local; systemctl restart fail2ban; sleep 2", check=True)
    out = json_of(c.sh("python3 -P /mnt/t/lib/deployed_clients.py guess 192.0.2.10 3", timeout=120))
    tap.is_(out.get("answers"), [535, 535, 535], "three wrong passwords from 192.0.2.10 over submission")
    banned = ""
    for _ in range(50):
        banned = c.sh("fail2ban-client status inetmail").stdout
        if "192.0.2.10" in banned:
            break
        time.sleep(0.2)
    tap.ok("192.0.2.10" in banned.split("Banned IP list:")[-1], "fail2ban's shipped jail bans 192.0.2.10 from the journal")

    # The relay agent: restarted after SIGKILL, stopped cleanly.
    pid = c.sh("systemctl show -P MainPID inetmail-relay").stdout.strip()
    # "kill -KILL 0" would reach this test's own process group: nsenter keeps it.
    if not pid.isdigit() or int(pid) < 2:
        tap.diag(c.sh("systemctl status --no-pager inetmail-relay; journalctl --no-pager -n 30 -u inetmail-relay").stdout)
        raise RuntimeError("inetmail-relay has no main process (MainPID %r)" % pid)
    c.sh("kill -KILL " + pid)
    restarted = ["0", ""]
    for _ in range(100):
        restarted = (c.sh("systemctl show -P MainPID inetmail-relay; systemctl is-active inetmail-relay").stdout.split()
                     + ["0", ""])[:2]
        if restarted[0] not in ("0", pid) and restarted[1] == "active":
            break
        time.sleep(0.2)
    tap.ok(restarted[0] not in ("0", pid), "systemd restarts inetmail-relay after SIGKILL (pid %s, then %s)"
           % (pid, restarted[0]))
    # Once started (a stop while the loader still runs is a plain SIGTERM death):
    r = c.sh("sleep 1; systemctl stop inetmail-relay; systemctl show -P Result inetmail-relay; systemctl show -P ExecMainStatus inetmail-relay")
    tap.is_(r.stdout.split(), ["success", "0"], "systemctl stop: the agent exits 0")

    # A burst: 2,000 connections within 2 s from 500 addresses.
    out = json_of(c.sh("python3 -P /mnt/t/lib/burst.py 25 2000 2 500", timeout=300))
    tap.ok(out.get("timed_out") == 0 and out.get("greeted", 0) > 0 and out.get("all_answered_after_s", 99) < 30,
           "2,000 connections in 2 s: every one answered within %s s (%s greeted, %s closed at the limits)"
           % (out.get("all_answered_after_s"), out.get("greeted"), out.get("closed_without_greeting")))
    tap.is_(c.sh("systemctl is-active smtp.socket").stdout.strip(), "active", "smtp.socket is still active")
    out = json_of(c.sh("python3 -P /mnt/t/lib/deployed_clients.py mx 'after the burst'"))
    tap.ok(out.get("refused") == {}, "and mail still flows through it")

    # The same handlers through xinetd and its shipped files, in place of the sockets.
    r = c.sh("systemctl stop smtp.socket submission.socket submissions.socket pop3.socket pop3s.socket imap.socket"
             " imaps.socket &&"
             " apt-get install -y -q xinetd >/dev/null && sed -i 's/^\tdisable     = yes$/\tdisable     = no/'"
             " /etc/xinetd.d/inetmail-* && systemctl restart xinetd && sleep 1")
    tap.is_(r.returncode, 0, "xinetd installed, the shipped files enabled")
    for mode in ("submission", "mx", "submissions"):
        out = json_of(c.sh("python3 -P /mnt/t/lib/deployed_clients.py %s 'xinetd %s'" % (mode, mode)))
        tap.ok(out.get("refused") == {} and out.get("tls", "").startswith("TLSv1."),
               "xinetd, %s: delivered over TLS (%s)" % (mode, out.get("tls")))
    for mode in ("pop3", "pop3s", "imap", "imaps"):
        out = json_of(c.sh("python3 -P /mnt/t/lib/deployed_clients.py " + mode))
        tap.ok({"xinetd mx", "xinetd submission", "xinetd submissions"} <= set(out.get("subjects", [])),
               "xinetd, %s: alice reads them over TLS (%s)" % (mode, out.get("tls")))
    entries = [json.loads(l) for l in c.sh("journalctl -o json SYSLOG_IDENTIFIER=smtp-handler _SYSTEMD_UNIT=xinetd.service")
               .stdout.split("\n") if l]
    tap.ok(entries and all(e.get("_UID") == smtp_uid for e in entries),
           "under xinetd the handler runs as inetmail_smtp too, and logs to the journal (%d lines)" % len(entries))
except Exception as e:  # the package, the root or the boot: what the log says
    tap.ok(False, "no exception: %r" % e)
finally:
    if c:
        c.halt()
    log.close()
    if tap.failed:
        tap.diag("the container's and the build's output: " + os.path.join(work, "log"))
    else:
        os.system("rm -rf " + work)
tap.done()
