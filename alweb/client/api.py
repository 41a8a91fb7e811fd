"""Calls to the server's REST API, retried with backoff when the failure is transient."""

import contextlib
import logging
import re
import threading
import time
from pathlib import Path

import requests

logger = logging.getLogger(__name__)

TRANSIENT_STATUSES = {429, 500, 502, 503, 504}
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0
SOCKET_ERROR = re.compile(r"\[Errno -?\d+\] [^'\")]+")


class ClientError(Exception):
    """A failure explained in one sentence for the person running the client."""


class ApiClient:
    """One server and token; safe to share between threads (each thread has its own session)."""

    def __init__(self, *, url: str, token: str, retries: int = 4, backoff_s: float = 1.0, timeout_s: float = 300.0):
        self.base_url = url.rstrip("/")
        self.token, self.retries, self.backoff_s, self.timeout_s = token, retries, backoff_s, timeout_s
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's connections, so the server does not keep them waiting."""
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def get_json(self, path: str, *, not_found: str, params: dict | None = None) -> dict:
        response = self.request("GET", path, params=params)
        self.check(response, not_found=not_found)
        return response.json()

    def iter_results(self, path: str, *, not_found: str, params: dict | None = None):
        """Yield every item of a paginated list, following its "next" links."""
        url, page_params = path, params
        while url:
            page = self.get_json(url, not_found=not_found, params=page_params)
            yield from page["results"]
            url, page_params = page.get("next"), None

    def post_files(self, path: str, *, field: str, files: list[tuple[str, Path]]) -> requests.Response:
        """POST files as multipart form data; the files are reopened for every attempt."""

        def send(session: requests.Session, url: str) -> requests.Response:
            with contextlib.ExitStack() as stack:
                handles = [(name, stack.enter_context(open(file_path, "rb"))) for name, file_path in files]
                return session.post(url, files=[(field, handle) for handle in handles], timeout=self.timeout_s)

        return self._with_retries(path, send)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self._with_retries(
            path, lambda session, url: session.request(method, url, timeout=self.timeout_s, **kwargs)
        )

    def check(self, response: requests.Response, *, not_found: str) -> None:
        """Raise ClientError explaining an error response; return quietly on success."""
        status = response.status_code
        if status < 400:
            return
        if status == 401:
            raise ClientError("The server refused the token (401): check --token or ALWEB_TOKEN.")
        if status == 404:
            raise ClientError(f"{not_found} (404)")
        if status == 403:
            raise ClientError(f"Permission denied (403): {error_detail(response)}")
        raise ClientError(f"The server answered {status}: {error_detail(response)}")

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["Authorization"] = f"Token {self.token}"
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _with_retries(self, path: str, send) -> requests.Response:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        attempt = 0
        while True:
            last_try = attempt >= self.retries
            wait_s = min(self.backoff_s * 2**attempt, MAX_BACKOFF_S)
            try:
                response = send(self._session(), url)
            except (requests.ConnectionError, requests.Timeout) as error:
                if last_try:
                    raise ClientError(f"Cannot reach the server at {self.base_url}: {_reason(error)}") from None
                logger.info("%s failed (%s); retrying", url, _reason(error))
            else:
                if response.status_code not in TRANSIENT_STATUSES or last_try:
                    return response
                logger.info("%s answered %s; retrying", url, response.status_code)
                # A rate limit says when to come back (429, 503 with Retry-After).
                wait_s = max(wait_s, _retry_after_s(response))
            time.sleep(wait_s)
            attempt += 1


def _retry_after_s(response: requests.Response) -> float:
    """The seconds a Retry-After header asks for, at most MAX_RETRY_AFTER_S; 0 without one."""
    try:
        return min(max(float(response.headers.get("Retry-After", 0)), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        return 0.0


def project_not_found(project_id: int) -> str:
    return f"Project {project_id} does not exist or you are not a member of it"


def error_detail(response: requests.Response) -> str:
    """The server's explanation of an error, as short as it gives it."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason
    if isinstance(body, dict) and "detail" in body:
        return str(body["detail"])
    return str(body)[:500]


def _reason(error: Exception) -> str:
    # requests wraps the socket error in pool details; its errno text says what went wrong.
    text = str(error)
    found = SOCKET_ERROR.search(text)
    return found.group(0) if found else text
