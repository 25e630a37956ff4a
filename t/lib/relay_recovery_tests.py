#!/usr/bin/env python3
"""t/relay-recovery.t: the relay lease after an agent's death. A smarthost of
the test's own (it reads DATA slowly while the test wants it slow) on
loopback; agents are inetmail-relay processes killed with SIGKILL."""
import base64, os, re, signal, socket, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, build_dir, free_port, reset_db, sql, wait_until

tap = Tap()
reset_db()
build = build_dir()
SIZE = 5 << 20
RECOVERY_S = 120  # the goal: a dead agent's message goes out within 2 minutes


class Smarthost:
    """Accepts mail; while slow, DATA is read at 64 KiB a second. Counts the
    sessions inside DATA at once and the messages it took."""
    def __init__(self):
        self.port = free_port()
        self.slow = True
        self.received, self.in_data, self.most_in_data, self.data_bytes = [], 0, 0, 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            c, _ = self.sock.accept()
            threading.Thread(target=self.session, args=(c,), daemon=True).start()

    def session(self, c):
        f = c.makefile("rb")
        c.sendall(b"220 smarthost ESMTP\r\n")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    c.sendall(b"250-smarthost\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    c.sendall(b"354 go on\r\n")
                    self.data(c, f)
                elif verb == b"QUIT":
                    c.sendall(b"221 bye\r\n")
                    return
                else:
                    c.sendall(b"250 ok\r\n")
        except OSError:
            return
        finally:
            f.close()
            c.close()

    def data(self, c, f):
        with self.lock:
            self.in_data += 1
            self.most_in_data = max(self.most_in_data, self.in_data)
        got, tail = 0, b""
        try:
            while True:
                if self.slow:
                    time.sleep(0.25)
                    chunk = f.read1(16384)
                else:
                    chunk = f.read1(1 << 20)
                if not chunk:
                    return
                got += len(chunk)
                tail = (tail + chunk)[-5:]  # the end may come split across reads
                with self.lock:
                    self.data_bytes += len(chunk)
                if tail == b"\r\n.\r\n":
                    break
            with self.lock:
                self.received.append((time.time(), got))
            c.sendall(b"250 ok: taken\r\n")
        finally:
            with self.lock:
                self.in_data -= 1


host = Smarthost()
env = dict(os.environ, INETMAIL_RELAY="smarthost", INETMAIL_RELAY_HOST="127.0.0.1:%d" % host.port,
           INETMAIL_RELAY_TLS="none", INETMAIL_RELAY_POLL="1", INETMAIL_PLAINTEXT_AUTH="1")


def queue_message(subject):
    """A 5 MiB message from alice to a remote recipient, through submission."""
    line = b"x" * 998 + b"\r\n"
    body = line * (SIZE // len(line) + 1)
    auth = base64.b64encode(b"\0alice@example.com\0alice pw")
    session = (b"EHLO c\r\nAUTH PLAIN " + auth + b"\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@remote.test>\r\n"
               b"DATA\r\nSubject: " + subject.encode() + b"\r\n\r\n" + body + b".\r\nQUIT\r\n")
    out = subprocess.run([build + "/smtp-handler"], input=session, capture_output=True, env=env).stdout
    return b"250 2.0.0 Ok: queued" in out


def agent():
    return subprocess.Popen([build + "/inetmail-relay"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def holder():
    """The pid in the lease owner (host:pid:token) of the queued row, or None."""
    rows = sql("SELECT lease_owner FROM relay_queue WHERE lease_expires_at >= NOW(6)").split()
    return int(rows[0].split(":")[1]) if rows else None


def case(name, agents, restart):
    host.slow, host.received, host.data_bytes = True, [], 0
    tap.ok(queue_message(name), "%s: a 5 MiB message for bob@remote.test is queued" % name)
    procs = [agent() for _ in range(agents)]
    tap.ok(wait_until(lambda: host.data_bytes > 200000, 60), "%s: an agent is sending it, slowly" % name)
    pid = holder()
    q = subprocess.run([build + "/mailctl", "queue"], capture_output=True, env=env).stdout.decode()
    tap.ok(pid and re.search(r"being delivered by [^ ]+:%d:[0-9a-f]+, its lease for \d+s more" % pid, q),
           "%s: mailctl queue shows who holds the lease and for how long" % name)
    victim = next(p for p in procs if p.pid == pid)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed = time.time()
    host.slow = False
    if restart:
        procs.append(agent())
    done = wait_until(lambda: host.received, RECOVERY_S + 30)
    took = host.received[0][0] - killed if done else None
    tap.ok(took is not None and took < RECOVERY_S, "%s: delivered %s s after the SIGKILL (goal: within %d s)"
           % (name, took and round(took), RECOVERY_S))
    tap.ok(wait_until(lambda: sql("SELECT COUNT(*) FROM relay_queue").strip() == "0", 10),
           "%s: and gone from the queue" % name)
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait()
    return took


t1 = case("restarted at once", 1, True)
t2 = case("a second agent, none restarted", 2, False)
tap.is_(host.most_in_data, 1, "never two agents inside DATA for it at once")
print("# recovery after SIGKILL: %s s with an immediate restart, %s s taken over by a running agent" % (
    t1 and round(t1), t2 and round(t2)))
tap.done()
