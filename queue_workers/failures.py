"""How a job's failure reaches RQ, for every job of the workers (forwarding, WeChat replies).

- transient (a 5xx, a time-out, a refused connection, WeChat's "system busy"): raise
  `TransientDeliveryError`; RQ retries while the job has retries left, then moves it to the
  FailedJobRegistry.
- permanent (a payload that is not what the job takes, a refusal that retrying cannot change):
  `raise dead_letter(PermanentDeliveryError(...))`. RQ 3.0's `Worker.handle_job_failure` retries
  only when `job.should_retry` (`retries_left > 0`) on the very `Job` object that
  `get_current_job()` returns inside `Job.perform()`, so setting it to 0 sends the job straight to
  the FailedJobRegistry, with the exception text as its failure and a structured copy in
  `job.meta[FAILURE_META_KEY]` for `hotline-gateway dlq`.

Exception texts are stored with the failed job and must not quote personal data (第七条).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TypeVar

from pydantic import ValidationError
from rq import get_current_job

FAILURE_META_KEY = "delivery_failure"


class DeliveryError(Exception):
    """The job's work was not done on this attempt; `status` and `body`: the receiver's answer."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.details: dict[str, object] = dict(details or {})


class TransientDeliveryError(DeliveryError):
    """Worth retrying: RQ will, on the configured schedule."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: the job goes to the FailedJobRegistry at once, details kept."""


ErrorT = TypeVar("ErrorT", bound=DeliveryError)


def dead_letter(error: PermanentDeliveryError) -> PermanentDeliveryError:
    """Make RQ skip the retries of the running job; returns `error` for the caller to raise."""
    job = get_current_job()
    if job is not None:
        job.retries_left = 0
    return remember_failure(error)


def remember_failure(error: ErrorT) -> ErrorT:
    """Keep the failure with the running job (`job.meta`): the last one is what `hotline-gateway
    dlq` shows of a job whose retries ran out. Returns `error` for the caller to raise."""
    job = get_current_job()
    if job is not None:
        # Structured copy for `hotline-gateway dlq`; the exception text holds the same.
        job.meta[FAILURE_META_KEY] = {
            "status": error.status,
            "body": error.body,
            "error": str(error),
            **error.details,
        }
        job.save_meta()  # type: ignore[no-untyped-call]
    return error


def validation_problems(exc: ValidationError) -> str:
    """Where a payload is wrong and why, without its values: pydantic's own text quotes the input,
    personal data included."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)
    )


def retries_note() -> str:
    job = get_current_job()
    if job is None or not job.retries_left:
        return "no retries left"
    return f"{job.retries_left} retries left"


def current_job_id() -> str | None:
    job = get_current_job()
    return job.id if job is not None else None


def ms_since(started: float) -> float:
    """Milliseconds since `started`, a `time.perf_counter()` reading."""
    return (time.perf_counter() - started) * 1000
