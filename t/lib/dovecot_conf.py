"""A private Dovecot daemon's configuration, shared by the tests and make bench."""

def dovecot_conf(d, instance, protocols, uid, gid, home, logins, extra=""):
    """dovecot.conf for a daemon under d: loopback only, no TLS, AUTH PLAIN,
    Maildir under home (may use %u), accounts in d/passwd, run as uid:gid;
    logins: {"imap": port, ...}, each protocol's plain listener (its TLS one off)."""
    listeners = "".join("""service {p}-login {{
  inet_listener {p} {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener {p}s {{
    port = 0
  }}
}}
""".format(p=p, port=port) for p, port in logins.items())
    return """instance_name = {instance}
base_dir = {d}/run
state_dir = {d}/state
protocols = {protocols}
listen = 127.0.0.1
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}
}}
""".format(instance=instance, d=d, protocols=protocols, uid=uid, gid=gid, home=home) + listeners + extra
