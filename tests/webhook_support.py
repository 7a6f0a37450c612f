"""What the webhook tests share: a real HTTP endpoint in a thread, and delivering the
outbox by calling the delivery service directly (no eager Celery)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks.delivery import delivery_send
from webhooks.models import Delivery, DeliveryStatus


class Endpoint:
    """Records each request; answers ``fail_status`` to the next ``failures`` of them."""

    def __init__(self):
        self.requests: list[dict] = []
        self.failures = 0
        self.fail_status = 500
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with endpoint.lock:
                    endpoint.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                    failing = endpoint.failures > 0
                    if failing:
                        endpoint.failures -= 1
                self.send_response(endpoint.fail_status if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def bodies(self, path: str | None = None) -> list[bytes]:
        return [r["body"] for r in self.requests if path is None or r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def serving():
    """The body of an ``endpoint`` fixture: a started endpoint, shut down afterwards."""
    server = Endpoint()
    yield server
    server.close()


def deliver_pending() -> list[str]:
    """Every pending delivery, once, as the worker would; the outcomes."""
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("created_at")
    return [delivery_send(delivery_id=pk).outcome for pk in pending.values_list("pk", flat=True)]
