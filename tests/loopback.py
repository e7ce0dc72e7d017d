"""The HTTP server every fake platform (Slack, Bot Connector, OIDC providers) listens with,
the certificate the TLS ones serve, and a bare-socket client for what httpx will not send."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class LoopbackServer(ThreadingHTTPServer):
    """A threaded server on 127.0.0.1 that a burst of connections does not overflow.

    The standard library's listen backlog of 5 resets connections when Flare's 32 listener
    threads call the fake at once (seen in `make bench`); Slack's real API would not.
    """

    daemon_threads = True
    request_queue_size = 128


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost that is its own CA, and its key, as PEM
    files: a fake serves TLS with them, and the client under test trusts the certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-login.flare.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def raw_post(url: str, head: dict[str, str], chunks: Iterator[bytes]) -> int:
    """POST over a bare socket (a client may declare any length and send any amount);
    returns the status Flare answered with, stopping sending once it has answered."""
    parsed = httpx.URL(url)
    with socket.create_connection((parsed.host, parsed.port or 80), timeout=10) as conn:
        lines = [f"POST {parsed.raw_path.decode()} HTTP/1.1", f"Host: {parsed.host}"]
        lines += [f"{name}: {value}" for name, value in head.items()]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        conn.setblocking(False)
        answer = b""
        for chunk in chunks:
            with contextlib.suppress(BlockingIOError):  # nothing answered yet
                answer += conn.recv(4096)
            if answer:
                break
            try:
                conn.sendall(chunk)
            except (BlockingIOError, ConnectionError):
                break
        conn.setblocking(True)
        while b"\r\n" not in answer:
            answer += conn.recv(4096)
    return int(answer.split(b" ", 2)[1])
