#!/usr/bin/env python3
"""neomutt on an IMAP account, driven through a terminal as a person would:
the index lists the messages, a search finds one and the pager shows its
body, a deletion synced is an expunge in the store, a message saved goes to
another folder, and quitting leaves the session cleanly."""
import fcntl, os, pty, re, select, shutil, struct, subprocess, sys, tempfile, termios, time

sys.path.insert(0, os.path.dirname(__file__))
from testlib import Tap, Server, build_dir, reset_db, sql

tap = Tap()
if not shutil.which("neomutt"):
    print("1..0 # SKIP no neomutt here (Debian's neomutt: .ci/deps installs it)")
    sys.exit(0)
reset_db()
for i, name in enumerate(("one", "two", "three")):
    subprocess.run([build_dir() + "/t/store-deliver", "", "alice@example.com"], check=True,
                   input=b"From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: mutt %s\r\n"
                         b"Date: Mon, 7 Dec 2026 10:0%d:00 +0000\r\n\r\nthe body of %s\r\n" % (name.encode(), i, name.encode()))
imap = Server(build_dir() + "/imap-handler")
work = tempfile.mkdtemp(prefix="inetmail-mutt.")
with open(work + "/muttrc", "w") as f:
    f.write("""set folder = "imap://127.0.0.1:%d/"
set imap_user = "alice@example.com"
set imap_pass = "alice pw"
set spoolfile = "+INBOX"
set record = ""
set ssl_starttls = no
set ssl_force_tls = no
set header_cache = ""
set message_cachedir = ""
set sort = date
set delete = yes
set move = no
set quit = yes
set confirmappend = no
set wait_key = no
set sleep_time = 0
set mark_old = no
set imap_idle = no
set timeout = 1
""" % imap.port)

pid, fd = pty.fork()
if pid == 0:
    os.environ.update({"TERM": "vt100", "HOME": work, "LANG": "C.UTF-8"})
    os.execvp("neomutt", ["neomutt", "-n", "-F", work + "/muttrc"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
screen = b""

def until(pattern, timeout=20):
    """Reads the terminal until pattern shows (the text with escape sequences taken out)."""
    global screen
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]", b"", screen)
        if re.search(pattern, text):
            screen = b""
            return True
        if select.select([fd], [], [], 0.2)[0]:
            try:
                screen += os.read(fd, 65536)
            except OSError:
                break
    return False

def keys(k):
    os.write(fd, k)

try:
    tap.ok(until(rb"mutt one") and True, "neomutt logs in and lists INBOX")
    keys(b"/two\r")
    keys(b"\r")
    tap.ok(until(rb"the body of two"), "a search finds a message and the pager shows its body")
    keys(b"q")
    time.sleep(0.5)
    keys(b"d$")
    deadline = time.time() + 20
    while time.time() < deadline and sql("SELECT COUNT(*) FROM mailbox_entry").strip() != "2":
        until(rb"\$\$\$never", 0.3)
    tap.ok(sql("SELECT COUNT(*) FROM mailbox_entry").strip() == "2" and
           sql("SELECT COUNT(*) FROM mailbox_entry e JOIN message_chunk c ON c.message_id = e.message_id"
               " WHERE c.data LIKE '%mutt two%'").strip() == "0", "d and $: that message is expunged in the store")
    keys(b"s=Archive\r")
    deadline = time.time() + 20
    while time.time() < deadline and sql("SELECT COUNT(*) FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id"
                                         " WHERE f.name = 'Archive'").strip() != "1":
        until(rb"\$\$\$never", 0.3)
    tap.is_(sql("SELECT COUNT(*) FROM mailbox_entry e JOIN folder f ON f.id = e.folder_id WHERE f.name = 'Archive'").strip(),
            "1", "s =Archive: the message is saved to another folder")
    keys(b"q")
    end = time.time() + 20
    status = None
    while time.time() < end:
        until(rb"\$\$\$never", 0.2)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    tap.ok(status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "q: neomutt quits cleanly")
finally:
    try:
        os.kill(pid, 9)
    except OSError:
        pass
    shutil.rmtree(work, ignore_errors=True)
tap.done()
