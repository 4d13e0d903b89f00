import pytest

from feedback import sms


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.SMS_BACKEND = "feedback.sms.LocmemSmsBackend"
    settings.SITE_URL = "https://cx.example.com"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def sms_outbox(_sms_outbox):
    return _sms_outbox
