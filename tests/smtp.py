"""A real SMTP server on loopback for the suite (aiosmtpd): it receives what the project sends over SMTP, can be
stopped and started again on the same port (a server that was down), and can answer a temporary refusal (451)."""

import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, server: "SMTPServer"):
        self.server = server

    async def handle_DATA(self, smtp_server, session, envelope):
        if self.server.on_data is not None:
            self.server.on_data(envelope)
        if self.server.refuse_with:
            return self.server.refuse_with
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.server.lock:
            self.server.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class SMTPServer:
    """`with SMTPServer() as smtp:` … `smtp.received` is a list of (recipients, email.message.EmailMessage)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list = []
        self.lock = threading.Lock()
        self.refuse_with: str | None = None  # e.g. "451 4.3.0 try again later"
        self.on_data = None  # called with the envelope while the client waits for the answer
        self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def messages_to(self, address: str) -> list:
        with self.lock:
            return [m for rcpts, m in self.received if address in rcpts]
