"""A real HTTP receiver on 127.0.0.1 that checks each webhook's signature as a customer's server would."""

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from webhooks import services


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    # The receiver listens on loopback over plain http; the SSRF tests switch this back off.
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_ALLOW_HTTP = True


class Receiver:
    """Answers each POST with the next queued status (200 when none), after checking its signature
    with the endpoint's secret (`secret`); keeps what it got in `received`."""

    def __init__(self):
        self.secret = ""
        self.statuses: deque[int] = deque()
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    verified = Webhook(receiver.secret).verify(body, headers)
                except Exception as exc:  # a bad signature is a 400 and is recorded as such
                    verified, error = None, str(exc)
                else:
                    error = ""
                status = receiver.statuses.popleft() if receiver.statuses else 200
                if verified is None:
                    status = 400
                receiver.received.append(
                    {"path": self.path, "headers": headers, "body": body, "json": verified, "error": error}
                )
                answer = json.dumps({"status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/cxcrm?source=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies(self) -> list[dict]:
        return [r["json"] for r in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def endpoint_for(receiver):
    """endpoint_for(events, **fields) -> an enabled endpoint posting to the receiver (which knows its secret)."""

    def make(events, **fields):
        endpoint = services.webhook_endpoint_create(url=fields.pop("url", receiver.url), events=list(events), **fields)
        receiver.secret = endpoint.secret
        return endpoint

    return make
