"""A small SMS backend interface, chosen by the SMS_BACKEND setting (like Django's email backends).

A backend sends `SmsMessage`s and returns how many it sent; it raises on failure
so the caller can retry. A provider backend (Twilio, Vonage…) is a subclass
with `send_messages`; the ones here write to the console, a file or memory.
It stays at feedback/sms.py because SMS_BACKEND names its classes by dotted path;
feedback/services/sending.py is its one caller.
"""

import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    sender: str = ""


class BaseSmsBackend:
    def send_messages(self, messages: list[SmsMessage]) -> int:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes each message to stdout; the default, like Django's console email backend."""

    stream = None

    def send_messages(self, messages):
        stream = self.stream or sys.stdout
        for message in messages:
            stream.write(f"SMS from {message.sender} to {message.to}:\n{message.body}\n{'-' * 40}\n")
        stream.flush()
        return len(messages)


class FileSmsBackend(BaseSmsBackend):
    """Appends each message to a dated file under SMS_FILE_PATH."""

    _lock = threading.Lock()

    def send_messages(self, messages):
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{timezone.now():%Y%m%d}.log"
        with self._lock, path.open("a", encoding="utf-8") as handle:
            for message in messages:
                handle.write(f"{timezone.now().isoformat()} {message.sender} -> {message.to}\n{message.body}\n\n")
        return len(messages)


# Messages sent through LocmemSmsBackend, for tests (like django.core.mail.outbox).
outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    def send_messages(self, messages):
        outbox.extend(messages)
        return len(messages)


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, to: str, body: str) -> int:
    return get_sms_backend().send_messages([SmsMessage(to=to, body=body, sender=settings.SMS_FROM)])
