"""A small load generator: N threads, each with one keep-alive connection, posting forms.

Each simulated user signs in through the host's ``/login/<id>`` first (not
timed); then, behind a barrier so every thread starts together, each thread
posts one request per user it holds. The figures count only those posts:
requests per second over the wall time from the barrier to the last answer,
the 50th and 95th percentile latency, and every answer that was not the
expected status.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100)[q - 1]


def _cookie(response: http.client.HTTPResponse) -> str:
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    raise RuntimeError(f"sign-in answered {response.status} without a session cookie")


def run(
    port: int,
    users: list[int],
    request_for: Callable[[int], tuple[str, str]],
    expected: int,
    concurrency: int = 50,
) -> LoadResult:
    """Post ``request_for(user)`` (a path and form body) once per user from N threads."""
    barrier = threading.Barrier(concurrency + 1)
    lock = threading.Lock()
    result = LoadResult(requests=len(users), seconds=0.0)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "keep-alive"}

    def worker(mine: list[int]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        cookies = {}
        try:
            for user in mine:
                connection.request("POST", f"/login/{user}", body="", headers=headers)
                response = connection.getresponse()
                response.read()
                cookies[user] = _cookie(response)
        finally:
            barrier.wait()
        latencies, errors = [], []
        for user in mine:
            path, body = request_for(user)
            start = time.perf_counter()
            try:
                connection.request(
                    "POST", path, body=body, headers={**headers, "Cookie": cookies[user]}
                )
                response = connection.getresponse()
                response.read()
                if response.status != expected:
                    errors.append(f"user {user}: {response.status}")
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"user {user}: {error!r}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            latencies.append(time.perf_counter() - start)
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors.extend(errors)

    threads = [
        threading.Thread(target=worker, args=(users[i::concurrency],), daemon=True)
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - start
    return result
