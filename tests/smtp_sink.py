"""An SMTP server on 127.0.0.1 that counts what arrives (aiosmtpd, in a thread of this process),
and the email backend that sends to it from another process: the mail server of ``tests/stack.py``."""

import email.parser
import email.policy
import os
import threading
import time
from collections import Counter

from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend

from tests.localstripe import free_port


class SinkEmailBackend(SmtpEmailBackend):
    """Django's SMTP backend, sending to the stack's SMTP sink on ``STACK_SMTP_PORT``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", int(os.environ["STACK_SMTP_PORT"]))
        kwargs.setdefault("use_tls", False)
        kwargs.setdefault("use_ssl", False)
        super().__init__(**kwargs)


class SmtpSink:
    """A local SMTP server (aiosmtpd) that keeps what arrives: each message's Message-ID,
    recipients and subject (not its body, so that 1,000 emails with PDFs stay small)."""

    def __init__(self):
        self.messages = []  # (message_id, recipients, subject), in order of arrival
        self.arrival_times = []  # time.perf_counter() of each, in the same order
        self._lock = threading.Lock()
        self._controller = None
        self.port = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(envelope.content)
        with self._lock:
            self.messages.append((headers["Message-ID"], tuple(envelope.rcpt_tos), headers["Subject"] or ""))
            self.arrival_times.append(time.perf_counter())
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self):
        with self._lock:
            return len(self.messages)

    def by_message_id(self):
        """How many times each Message-ID arrived."""
        with self._lock:
            return Counter(message_id for message_id, _recipients, _subject in self.messages)

    def by_recipient(self):
        with self._lock:
            return Counter(recipient for _id, recipients, _subject in self.messages for recipient in recipients)

    def wait_for(self, count, *, seconds=60, settle=0.0):
        """Wait until ``count`` messages have arrived, then ``settle`` seconds more (for any extra
        one to show up). Returns how many arrived."""
        deadline = time.monotonic() + seconds
        while self.count() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        if settle:
            time.sleep(settle)
        return self.count()
