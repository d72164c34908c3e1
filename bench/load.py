"""A small load generator: N threads, each with one keep-alive connection, posting forms.

Each simulated user signs in through the host's ``/login/<id>`` first (not
timed) and, when the posts need a CSRF token, opens the page holding the form
(``form_page``, not timed either: a person reads the policy before signing)
and takes its token and session cookie; then, behind a barrier so every thread
starts together, each thread posts one request per user it holds. The figures
count only those posts: requests per second over the wall time from the
barrier to the last answer, the 50th and 95th percentile latency, and every
answer that was not the expected status.
"""

from __future__ import annotations

import http.client
import re
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


#: The hidden field Flask-WTF renders: ``<input id="csrf_token" name="csrf_token" ... value="…">``.
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _cookie(response: http.client.HTTPResponse, keep: str | None = None) -> str:
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    if keep is not None:
        return keep
    raise RuntimeError(f"sign-in answered {response.status} without a session cookie")


def run(
    port: int,
    users: list[int],
    request_for: Callable[[int], tuple[str, str]],
    expected: int,
    concurrency: int = 50,
    form_page: Callable[[int], str] | None = None,
) -> LoadResult:
    """Post ``request_for(user)`` (a path and form body) once per user from N threads.

    With ``form_page``, each user first opens that page (untimed) and every post
    carries the CSRF token it holds.
    """
    barrier = threading.Barrier(concurrency + 1)
    lock = threading.Lock()
    result = LoadResult(requests=len(users), seconds=0.0)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "keep-alive"}

    def worker(mine: list[int]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        cookies, tokens = {}, {}
        try:
            for user in mine:
                connection.request("POST", f"/login/{user}", body="", headers=headers)
                response = connection.getresponse()
                response.read()
                cookies[user] = _cookie(response)
                if form_page is not None:
                    connection.request("GET", form_page(user),
                                       headers={**headers, "Cookie": cookies[user]})  # fmt: skip
                    response = connection.getresponse()
                    page = response.read().decode()
                    cookies[user] = _cookie(response, keep=cookies[user])
                    found = CSRF_FIELD.search(page)
                    if response.status != 200 or found is None:
                        raise RuntimeError(f"{form_page(user)} answered {response.status} "
                                           "without a CSRF token")  # fmt: skip
                    tokens[user] = f"&csrf_token={found.group(1)}"
        finally:
            barrier.wait()
        latencies, errors = [], []
        for user in mine:
            path, body = request_for(user)
            body += tokens.get(user, "")
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
