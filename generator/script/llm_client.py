"""Chat completions through the official `openai` client, with our own retry policy, request cap and usage.

The client's built-in retries are off (max_retries=0) so that every HTTP attempt is counted against the job's
request cap and every wait is ours: exponential backoff with jitter on 408/409/429/5xx, timeouts and
connection errors, and the server's Retry-After (or retry-after-ms) when it sends one. The structured-output
mode degrades per endpoint: json_schema (strict) -> json_object -> plain text, remembered for the job, since
many OpenAI-compatible servers (older vLLM, llama.cpp, some clouds) reject one or the other.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

from generator.errors import DaihuoError
from generator.script.llm_schema import ReplyContract, response_format_json_schema

log = logging.getLogger(__name__)

MODES = ("json_schema", "json_object", "text")
RETRY_STATUS = {408, 409, 429}
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0


class LLMError(DaihuoError, RuntimeError):
    """This request failed; `reason` is short enough for a note in the manifest."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class LLMUnavailable(LLMError):
    """The endpoint keeps failing or refuses us: later requests of this job would fail the same way."""


@dataclass
class ChatResult:
    content: str
    usage: dict[str, int]
    mode: str
    finish_reason: str | None
    attempts: int = 1


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds the server asked us to wait (Retry-After: seconds or HTTP date; retry-after-ms), if any."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_seconds(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random, capped."""
    step = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))
    return step / 2 + rng() * step / 2


class ChatClient:
    """One per job: holds the request cap, the usage totals and the response-format mode that works."""

    def __init__(self, *, model: str, base_url: str | None = None, api_key: str | None = None,
                 timeout: float = 60.0, max_retries: int = 4, max_requests: int = 200,
                 temperature: float | None = 0.8, response_format: str = "auto", max_wait: float = 120.0,
                 sleep: Callable[[float], None] = time.sleep, rng: Callable[[], float] = random.random):
        if response_format not in ("auto", *MODES):
            raise ValueError(f"llm_response_format '{response_format}' is not one of auto, {', '.join(MODES)}")
        self.model = model
        self.base_url = base_url
        self.max_retries = max(0, max_retries)
        self.max_requests = max_requests
        self.temperature = temperature
        self.max_wait = max_wait
        self.mode = "json_schema" if response_format == "auto" else response_format
        self._auto = response_format == "auto"
        self._sleep, self._rng = sleep, rng
        self._lock = threading.Lock()
        self.usage: dict[str, int] = {"requests": 0, "retries": 0, "prompt_tokens": 0,
                                      "completion_tokens": 0, "total_tokens": 0}
        self._missing_key = not api_key and not base_url
        self._client = openai.OpenAI(api_key=api_key or "not-needed", base_url=base_url, timeout=timeout,
                                     max_retries=0)

    def _take_request(self) -> None:
        with self._lock:
            if self.usage["requests"] >= self.max_requests:
                raise LLMUnavailable(f"request cap of {self.max_requests} reached for this job "
                                     "(raise DAIHUO_LLM_MAX_REQUESTS)")
            self.usage["requests"] += 1

    def _add_usage(self, usage: Any) -> dict[str, int]:
        got = {k: int(getattr(usage, k, 0) or 0) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
        with self._lock:
            for k, v in got.items():
                self.usage[k] += v
        return got

    def _extra_args(self, contract: ReplyContract | None = None) -> dict[str, Any]:
        """Optional arguments, left out entirely when unset (some servers reject nulls)."""
        args: dict[str, Any] = {}
        if self.mode == "json_schema":
            args["response_format"] = response_format_json_schema(contract)
        elif self.mode == "json_object":
            args["response_format"] = {"type": "json_object"}
        if self.temperature is not None:
            args["temperature"] = self.temperature
        return args

    def complete(self, messages: list[dict[str, str]], contract: ReplyContract | None = None) -> ChatResult:
        """One chat completion; `contract` makes the json_schema response format specific to the product."""
        if self._missing_key:
            raise LLMUnavailable("OPENAI_API_KEY is not set (or set OPENAI_BASE_URL to a local server)")
        attempt = 0
        sent = 0
        while True:
            self._take_request()
            sent += 1
            try:
                resp = self._client.chat.completions.create(
                    model=self.model, messages=messages, **self._extra_args(contract),  # type: ignore[arg-type]
                )
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                if self._auto and self.mode != "text":
                    old = self.mode
                    self.mode = MODES[MODES.index(old) + 1]
                    log.info("endpoint refused response_format %s (%s); trying %s", old, exc.status_code, self.mode)
                    continue
                raise LLMError(f"the endpoint refused the request: {_message(exc)}") from exc
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                raise LLMUnavailable(f"the endpoint refused the API key ({exc.status_code}): "
                                     "check OPENAI_API_KEY") from exc
            except openai.NotFoundError as exc:
                raise LLMUnavailable(f"model '{self.model}' or the URL was not found (404): check "
                                     "DAIHUO_LLM_MODEL and OPENAI_BASE_URL") from exc
            except openai.APIStatusError as exc:
                if exc.status_code not in RETRY_STATUS and exc.status_code < 500:
                    raise LLMError(f"HTTP {exc.status_code}: {_message(exc)}") from exc
                wait = retry_after_seconds(exc.response.headers)
                self._backoff(attempt, wait, f"HTTP {exc.status_code}")
                attempt += 1
                continue
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                kind = "timeout" if isinstance(exc, openai.APITimeoutError) else "connection error"
                self._backoff(attempt, None, kind)
                attempt += 1
                continue
            choice = resp.choices[0] if resp.choices else None
            content = (choice.message.content if choice and choice.message else None) or ""
            usage = self._add_usage(resp.usage) if resp.usage is not None else {}
            return ChatResult(content=content, usage=usage, mode=self.mode,
                              finish_reason=choice.finish_reason if choice else None, attempts=sent)

    def _backoff(self, attempt: int, retry_after: float | None, what: str) -> None:
        if attempt >= self.max_retries:
            raise LLMUnavailable(f"{what} after {attempt + 1} attempt(s)")
        if retry_after is not None and retry_after > self.max_wait:
            raise LLMUnavailable(f"{what}; the server asks to wait {retry_after:.0f} s, more than {self.max_wait:.0f} s")
        wait = retry_after if retry_after is not None else backoff_seconds(attempt, self._rng)
        with self._lock:
            self.usage["retries"] += 1
        log.info("LLM %s; retry %d/%d in %.2f s", what, attempt + 1, self.max_retries, wait)
        self._sleep(wait)


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    msg = body.get("message") if isinstance(body, dict) else None
    return str(msg or exc.message)[:200]
