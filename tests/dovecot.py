"""A real IMAP server for the tests: Debian's Dovecot, started without privileges.

Everything lives in one temporary folder: the configuration, a self-signed certificate (so the
tests use implicit TLS as a deployment would), a passwd-file of mailboxes and their Maildirs.
Dovecot runs as the current user, or, when the tests run as root (CI), as its own `dovecot`
user through setpriv: its login processes refuse to run as root. Dovecot cannot listen on
port 0, so a free port is chosen first and the start is tried again if it was taken meanwhile.
"""

from __future__ import annotations

import datetime
import getpass
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.processes import free_port

DOVECOT = os.environ.get("ADVICELINE_DOVECOT", "/usr/sbin/dovecot")
START_SECONDS = 15.0


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    username: str
    password: str
    ca_file: Path


def available() -> bool:
    return Path(DOVECOT).is_file() and os.access(DOVECOT, os.X_OK)


def tls_certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


ACCOUNTS = 200   # mailboxes for one test session (each test takes a fresh one)


def _account(number: int) -> tuple[str, str]:
    return f"advies{number}", f"geheim-{number}"


class Dovecot:
    """One Dovecot for the test session; `mailbox()` adds a fresh account for one test."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="adviceline-dovecot-"))
        self.folder.chmod(0o755)
        if os.geteuid() == 0:
            account = pwd.getpwnam("dovecot")
            self.user, self.uid, self.gid = account.pw_name, account.pw_uid, account.pw_gid
        else:
            self.user, self.uid, self.gid = getpass.getuser(), os.getuid(), os.getgid()
        self.cert_file, self.key_file = tls_certificate(self.folder)
        # Every account is written before Dovecot starts: one appended while it runs was now
        # and then refused at the first login (AUTHENTICATIONFAILED), when Dovecot had read the
        # file moments before and did not read it again.
        self.passwd = self.folder / "passwd"
        self.passwd.write_text("".join(f"{name}:{{PLAIN}}{password}\n"
                                       for name, password in map(_account, range(1, ACCOUNTS + 1))),
                               encoding="utf-8")
        self.port = 0
        self.plain_port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._accounts = 0

    def start(self) -> None:
        for _ in range(3):
            self.port, self.plain_port = free_port(), free_port()
            self._write_config()
            self._process = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL)
            if self._wait_until_listening():
                return
            self.stop()
        raise RuntimeError(f"Dovecot did not start; see {self.folder / 'dovecot.log'}:\n"
                           + self.log())

    def _command(self) -> list[str]:
        command = [DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")]
        if os.geteuid() == 0:
            command = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}",
                       "--clear-groups", *command]
        return command

    def _write_config(self) -> None:
        folder = self.folder
        (folder / "dovecot.log").unlink(missing_ok=True)
        for name in ("run", "state", "mail"):
            (folder / name).mkdir(exist_ok=True)
        (folder / "dovecot.conf").write_text(f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
instance_name = adviceline-test-{os.getpid()}
protocols = imap
listen = 127.0.0.1
default_internal_user = {self.user}
default_internal_group = {self.user}
default_login_user = {self.user}
first_valid_uid = {min(self.uid, 500)}
first_valid_gid = 0
ssl = yes
ssl_cert = <{self.cert_file}
ssl_key = <{self.key_file}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={folder}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {self.plain_port}
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""", encoding="utf-8")
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, self.uid, self.gid)

    def _wait_until_listening(self) -> bool:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False   # e.g. a port taken meanwhile: the master exits
            # The master says it is starting up only once its listeners are bound, so a
            # connection below reaches this Dovecot and not whoever else has the port.
            if "starting up" not in self.log():
                time.sleep(0.02)
                continue
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def mailbox(self) -> Mailbox:
        """A new account with an empty INBOX."""
        self._accounts += 1
        if self._accounts > ACCOUNTS:
            raise RuntimeError(f"more than {ACCOUNTS} mailboxes in one session: raise ACCOUNTS")
        username, password = _account(self._accounts)
        return Mailbox("127.0.0.1", self.port, username, password, self.cert_file)

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
