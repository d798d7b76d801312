"""Real local receivers for alert tests: an HTTP server (webhooks, Slack) and a minimal SMTP sink.

Both listen on 127.0.0.1 on a free port in a daemon thread and record what they receive. The SMTP sink
speaks just enough RFC 5321 for smtplib (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT); no dependency.
"""

from __future__ import annotations

import base64
import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HttpReceiver:
    port: int = 0
    status_by_path: dict[str, int] = field(default_factory=dict)  # default 200
    requests: list[dict[str, Any]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"] == path]


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(
                {"path": self.path, "headers": dict(self.headers), "body": json.loads(raw.decode("utf-8"))}
            )
            status = receiver.status_by_path.get(self.path, 200)
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status < 400 else b"receiver says no")

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpSink:
    port: int = 0
    messages: list[Message] = field(default_factory=list)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write((line + "\r\n").encode("ascii"))

        def handle(self) -> None:
            self.reply("220 sink ESMTP")
            envelope: dict[str, Any] = {"rcpt": []}
            while line := self.rfile.readline():
                command = line.decode("utf-8").rstrip("\r\n")
                verb = command.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    self.wfile.write(b"250-sink\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
                elif verb == "AUTH":
                    # AUTH PLAIN <base64("\0user\0password")> (smtplib sends the initial response inline)
                    _, user, password = base64.b64decode(command.split()[2]).decode("utf-8").split("\0")
                    sink.logins.append((user, password))
                    self.reply("235 accepted")
                elif verb == "MAIL":
                    envelope["from"] = command[10:]
                    self.reply("250 OK")
                elif verb == "RCPT":
                    envelope["rcpt"].append(command[8:])
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with .")
                    data = b""
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    sink.messages.append(message_from_bytes(data))
                    sink.envelopes.append(envelope)
                    envelope = {"rcpt": []}
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:  # HELO, RSET, NOOP
                    self.reply("250 OK")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
