"""Real receivers on 127.0.0.1: a Standard Webhooks endpoint and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Received:
    """One POST the receiver accepted or refused."""

    headers: dict[str, str]
    body: bytes
    status: int
    verified: Any = None


@dataclass
class WebhookReceiver:
    """Answers POSTs by a script ("ok", "500", "slow:SECONDS"), then "ok"; dedups by webhook-id."""

    script: list[str] = field(default_factory=list)
    secret: str = SECRET
    requests: list[Received] = field(default_factory=list)
    accepted: dict[str, Any] = field(default_factory=dict)  # webhook-id → verified payload
    began: list[str] = field(default_factory=list)  # webhook-id of each request as it arrives
    port: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                """Verify the signature, act out the script, de-duplicate by webhook-id."""
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.began.append(headers.get("webhook-id", ""))
                    action = receiver.script.pop(0) if receiver.script else "ok"
                if action.startswith("slow:"):
                    time.sleep(float(action.split(":")[1]))
                    action = "ok"
                status = 500 if action == "500" else 204
                verified = None
                if status == 204:
                    verified = Webhook(receiver.secret).verify(body, headers)
                with receiver._lock:
                    receiver.requests.append(Received(headers, body, status, verified))
                    if status == 204:
                        receiver.accepted.setdefault(headers["webhook-id"], verified)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The endpoint."""
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        """Shut down."""
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        """webhook-id of every request, in order."""
        return [r.headers["webhook-id"] for r in self.requests]


def free_port() -> int:
    """A free loopback port (the SMTP controller needs one before it starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost and its key: `cryptography` if present, else openssl."""
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    try:
        _self_signed_cryptography(cert_path, key_path)
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor the openssl tool is available "
                        "to make a test certificate")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", str(key_path), "-out", str(cert_path)],
                       check=True, capture_output=True)
    return cert_path, key_path


def _self_signed_cryptography(cert_path: Path, key_path: Path) -> None:
    """Make the pair with the cryptography package."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


class Mailbox:
    """aiosmtpd handler keeping every message, with who logged in."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message."""
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _authenticator(mailbox: Mailbox, user: str, password: str) -> Any:
    """Accept exactly this login."""
    from aiosmtpd.smtp import AuthResult

    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        if ok:
            mailbox.logins.append(user)
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def smtp_server(security: str, tmp: Path, user: str = "desk",
                password: str = "s3cret") -> Iterator[tuple[Mailbox, int, Path | None]]:
    """A real SMTP server on 127.0.0.1: plain, STARTTLS or implicit TLS, requiring AUTH over TLS."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    cert: Path | None = None
    kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": free_port(), "ready_timeout": 10}
    if security in ("starttls", "ssl"):
        cert, key = self_signed(tmp)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        if security == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True)
        else:
            # aiosmtpd only counts STARTTLS as TLS for AUTH; implicit TLS is TLS all along.
            kwargs.update(ssl_context=ctx, auth_require_tls=False)
        kwargs.update(authenticator=_authenticator(mailbox, user, password), auth_required=True)
    else:
        kwargs.update(auth_require_tls=False, authenticator=_authenticator(mailbox, user, password))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "AUTH without TLS": on purpose for the plain mode
        controller = Controller(mailbox, **kwargs)
    controller.start()
    try:
        yield mailbox, kwargs["port"], cert
    finally:
        controller.stop()


def payload_of(received: Received) -> dict[str, Any]:
    """The JSON body of a request."""
    return dict(json.loads(received.body))
