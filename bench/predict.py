"""Predict round trip over HTTP for the trivial deployed model, against calling its `predict` in this process.

Three HTTP clients, one call of each per round so they share the machine's load: the abacusai SDK (a new
`requests` session, so a new connection, per call), a raw urllib POST (also a new connection, so the
difference to the SDK is the SDK's own overhead) and a raw POST on one kept-alive connection (the server's
share alone), plus GET /healthz on that connection as the HTTP stack's floor. Raw calls authenticate with
the deployment token only, as an application would.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from bench import user_model
from bench.fixtures import Deployment, in_process_model
from bench.measure import Comparison, Measurement, Ratio, timed

QUERY: dict[str, Any] = {"value": 42}
DIRECT_BATCH = 20_000  # calls per direct sample: one call is far below the clock's useful resolution
DIRECT_SAMPLES = 15


class RawPredict:
    """POST /api/v0/predict with the deployment token in the query string and `queryData` in a JSON body."""

    def __init__(self, server_url: str, deployment: Deployment) -> None:
        self.url = urllib.parse.urlsplit(server_url)
        params = {"deploymentToken": deployment.token, "deploymentId": deployment.deployment_id}
        self.path = "/api/v0/predict?" + urllib.parse.urlencode(params)
        self.body = json.dumps({"queryData": QUERY}).encode()
        self.headers = {"Content-Type": "application/json"}
        self.connection = http.client.HTTPConnection(self.url.hostname or "127.0.0.1", self.url.port, timeout=30)

    def new_connection(self) -> Any:
        # S310: the URL is the loopback server's, built in __init__ from the http:// URL this bench started.
        url = f"{self.url.scheme}://{self.url.netloc}{self.path}"
        request = urllib.request.Request(url, data=self.body, headers=self.headers, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return _result(response.read())

    def kept_alive(self) -> Any:
        self.connection.request("POST", self.path, body=self.body, headers=self.headers)
        return _result(self.connection.getresponse().read())

    def health_kept_alive(self) -> Any:
        """GET /healthz on the kept-alive connection: the HTTP stack's floor, with no auth, store or worker."""
        self.connection.request("GET", "/healthz")
        return json.loads(self.connection.getresponse().read())

    def close(self) -> None:
        self.connection.close()


def _result(raw: bytes) -> Any:
    payload = json.loads(raw)
    if not payload.get("success"):
        raise RuntimeError(f"predict failed: {payload.get('errorType')}: {payload.get('error')}")
    return payload["result"]


def measure_direct() -> Measurement:
    """Seconds per in-process `predict` call, each sample the mean over one batch."""
    model = in_process_model()
    direct = Measurement("in-process predict() call", unit="us")
    for _ in range(DIRECT_SAMPLES):
        seconds, _ = timed(lambda: [user_model.predict(model, QUERY) for _ in range(DIRECT_BATCH)])
        direct.add(seconds / DIRECT_BATCH)
    return direct


def _check(answer: Any, expected: dict[str, Any], label: str) -> None:
    if answer != expected:
        raise RuntimeError(f"{label} answered {answer!r}, expected {expected!r}")


def measure_predict(client: Any, server_url: str, deployment: Deployment, calls: int, warmup: int) -> Comparison:
    expected = user_model.predict(in_process_model(), QUERY)
    raw = RawPredict(server_url, deployment)
    sdk = Measurement("SDK client.predict", unit="ms")
    fresh = Measurement("raw POST, new connection (urllib)", unit="ms")
    kept = Measurement("raw POST, kept-alive connection", unit="ms")
    floor = Measurement("GET /healthz, kept-alive connection (HTTP floor)", unit="ms")
    clients: list[tuple[Measurement, Callable[[], Any]]] = [
        (sdk, lambda: client.predict(deployment.token, deployment.deployment_id, QUERY)),
        (fresh, raw.new_connection),
        (kept, raw.kept_alive),
        (floor, raw.health_kept_alive),
    ]
    try:
        for measurement, call in clients:
            for _ in range(warmup):
                _check(call(), {"status": "ok"} if measurement is floor else expected, measurement.name)
        for _ in range(calls):
            for measurement, call in clients:
                seconds, _ = timed(call)
                measurement.add(seconds)
    finally:
        raw.close()
    direct = measure_direct()
    return Comparison(
        key="predict",
        title="Predict round trip vs in-process call",
        measurements=[sdk, fresh, kept, floor, direct],
        ratios=[
            Ratio("SDK predict / in-process call", sdk, direct),
            Ratio("raw POST (kept alive) / in-process call", kept, direct),
            Ratio("SDK / raw POST (both new connections)", sdk, fresh),
            Ratio("new connection / kept alive", fresh, kept),
            Ratio("predict POST / GET /healthz (both kept alive)", kept, floor),
        ],
        notes=[
            f"{calls} timed calls per HTTP client after {warmup} warm-up calls each, the clients interleaved",
            f"in-process: {DIRECT_SAMPLES} samples, each the mean of {DIRECT_BATCH:,} calls",
        ],
    )
