"""The MX checks' peers, for a caller in a network and mount namespace of its
own (t/mx-checks.t, make bench): loopback with the clients' addresses, a
dnsmasq as the only DNS, a DKIM key and its record, a private rspamd."""
import atexit, os, socket, subprocess, time

def netns(tmp, addresses):
    """Loopback up with these addresses too; resolv.conf names 127.0.0.1; a /run of our own."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for a in addresses:
        v6 = ":" in a  # nodad: usable at once, not after duplicate address detection
        subprocess.run(["ip", "addr", "add", a + ("/128" if v6 else "/32"), "dev", "lo"] + (["nodad"] if v6 else []), check=True)
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
    subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)

def dkim_key(tmp, name="s1"):
    """(key file, its public key as a DKIM record's p=)"""
    key = os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "genrsa", "-out", key, "1024"], check=True, capture_output=True)
    pub = subprocess.run("openssl rsa -in %s -pubout -outform DER | base64 -w0" % key, shell=True, check=True,
                         capture_output=True).stdout.decode()
    return key, pub

def dkim_sign(key, domain, selector, msg):
    """msg signed by python3-dkim's dkimsign, CRLF kept."""
    r = subprocess.run(["dkimsign", selector, domain, key], input=msg, capture_output=True, check=True)
    return r.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

def dns(tmp, records):
    """dnsmasq on 127.0.0.1:53 with these options (records): names under .test are answered by it alone,
    others it has no record of are REFUSED (a DNS failure)."""
    p = subprocess.Popen(["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--user=root",
                          "--listen-address=127.0.0.1", "--bind-interfaces", "--port=53", "--local=/test/",
                          "--pid-file=" + os.path.join(tmp, "dnsmasq.pid")] + records,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(p.terminate)  # however the caller ends: a failed test too
    time.sleep(0.3)
    return p

def rspamd(tmp, lua, port=11333):
    """Debian's rspamd with a config of its own (the normal worker on 127.0.0.1:port, test patterns on, these
    Lua rules, no Redis), once it listens."""
    d = os.path.join(tmp, "rspamd")
    for sub in ("run", "db", "log"):
        os.makedirs(os.path.join(d, sub))
    with open(os.path.join(d, "tld.dat"), "w") as f:  # the public suffixes it needs: compiling the whole list takes 12 s
        f.write("test\nexample\ncom\nnet\n")
    with open(os.path.join(d, "rules.lua"), "w") as f:
        f.write(lua)
    with open(os.path.join(d, "rspamd.conf"), "w") as f:
        f.write('lua = "{d}/rules.lua";\n'
                'options {{ pidfile = "{d}/run/rspamd.pid"; enable_test_patterns = true; url_tld = "{d}/tld.dat";\n'
                '  dns {{ nameserver = ["127.0.0.1:53"]; timeout = 1s; retransmits = 1; }} }}\n'
                'logging {{ type = "file"; filename = "{d}/log/rspamd.log"; level = "error"; }}\n'
                'actions {{ reject = 15; add_header = 6; }}\n'
                'worker "normal" {{ bind_socket = "127.0.0.1:{p}"; count = 1; }}\n'.format(d=d, p=port))
    proc = subprocess.Popen(["rspamd", "-f", "-c", os.path.join(d, "rspamd.conf"), "-u", "root", "-g", "root",
                             "--insecure"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(proc.terminate)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc
