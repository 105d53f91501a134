"""The job runner: job rows written in the caller's transaction, claimed under a lease.

A job is a row inserted by :func:`enqueue` inside the use case's transaction, so nothing
is queued that was not committed. Workers claim due rows in batches (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite's single writer makes its ``UPDATE … RETURNING`` the one
claimer), extend the lease while they run, and a job whose worker died is claimed again
once its lease expires. Completion is fenced by (worker, attempt): a worker that lost its
lease cannot mark the job done. Job bodies are idempotent and open their own session.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    delete,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from openoa.core import clock, heap, ids
from openoa.core.db import Base, Database, UTCDateTime, on_commit
from openoa.core.prepared import Prepared
from openoa.core.settings import get_settings

log = logging.getLogger("openoa.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
LOST = "lost"  # not a stored state: the outcome was refused because the lease had passed on
MAX_BACKOFF_SECONDS = 3600


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    locked_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The claim query filters on state and orders by run_at.
    __table_args__ = (Index("ix_jobs_state_run_at", "state", "run_at"),)


JobFunction = Callable[..., None]


# Writes the jobs' states of a batch in the session given: {job id: error} of the failed ones.
Settle = Callable[[Session, dict[int, str]], None]


class InFlight(Protocol):
    """A batch body's work still going on off the runner's thread (its network calls in flight)."""

    def complete(self, settle: Settle) -> None:
        """Wait for the work and record it, calling ``settle(session, errors)`` in the recording
        transaction, so what was done and the jobs' states commit together."""
        ...


# A batch body gets every claimed job of its name at once and answers, for each job that
# failed, its error text; the jobs it does not name succeeded. It may answer with an
# ``InFlight`` instead: a Worker then claims and starts the next batch before completing it,
# so the network and the database work overlap across batches, and the jobs' states are
# written in the transaction that records the work.
BatchFunction = Callable[[Database, list["Claimed"]], "dict[int, str] | InFlight"]
_registry: dict[str, JobFunction] = {}
_batch_registry: dict[str, tuple[BatchFunction, int]] = {}
_wake = threading.Event()


def job(name: str) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn(db, **payload)`` as the body of jobs called ``name``."""

    def register(fn: JobFunction) -> JobFunction:
        _registry[name] = fn
        return fn

    return register


_recurring: dict[str, timedelta] = {}


def recurring(name: str, *, every: timedelta) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
    """Register ``fn(db)`` as the job ``name`` that runs every ``every``: each run queues the next,
    and a Worker queues one (due after ``every``) whenever none is queued or running — at its start
    and every :data:`RECURRING_CHECK_SECONDS` — so a failed or lost run does not end the series.
    Bodies must be idempotent: two workers may queue one each; a run that finds another queued
    queues none, so such twins merge back into one series."""

    def register(fn: Callable[[Database], None]) -> Callable[[Database], None]:
        def run(db: Database, **_payload: Any) -> None:
            fn(db)
            with db.scope() as session:
                if session.scalar(select(Job.id).where(Job.state == QUEUED, Job.name == name).limit(1)) is None:
                    enqueue(session, name, run_at=clock.now() + every)

        _registry[name] = run
        _recurring[name] = every
        return fn

    return register


# How often a Worker checks that every recurring job has its next run queued.
RECURRING_CHECK_SECONDS = 60.0


def queue_recurring(db: Database) -> list[str]:
    """Queue each recurring job that has no run queued or running (due after its interval); the names queued."""
    if not _recurring:
        return []
    with db.scope() as session:
        present = set(session.scalars(select(Job.name).where(Job.state.in_((QUEUED, RUNNING)),
                                                             Job.name.in_(list(_recurring)))))
        missing = [name for name in _recurring if name not in present]
        for name in missing:
            enqueue(session, name, run_at=clock.now() + _recurring[name])
    return missing


def batch_job(name: str, *, size: int = 64) -> Callable[[BatchFunction], BatchFunction]:
    """Register ``fn(db, claimed) -> {job id: error}`` to run up to ``size`` jobs called ``name``
    together in a :class:`Worker` (one round trip each way instead of one per job).

    The one-job body registered with :func:`job` stays the fallback (``run_due_jobs``).
    """

    def register(fn: BatchFunction) -> BatchFunction:
        _batch_registry[name] = (fn, size)
        return fn

    return register


def registered() -> dict[str, JobFunction]:
    return dict(_registry)


def enqueue(session: Session, name: str, payload: dict[str, Any] | None = None, *,
            run_at: datetime | None = None, max_attempts: int = 10) -> Job:
    """Add a job in the caller's transaction; the local worker is woken after commit."""
    now = clock.now()
    row = Job(name=name, payload=payload or {}, state=QUEUED, run_at=run_at or now,
              attempts=0, max_attempts=max_attempts, created_at=now)
    session.add(row)
    session.flush()
    on_commit(session, _wake.set)
    return row


def enqueue_many(session: Session, name: str, payloads: list[dict[str, Any]]) -> None:
    """Add one job per payload in the caller's transaction, in one statement; run in that order."""
    if not payloads:
        return
    now = clock.now()
    session.execute(insert(Job), [{"name": name, "payload": payload, "state": QUEUED, "run_at": now, "attempts": 0,
                                   "max_attempts": 10, "created_at": now} for payload in payloads])
    on_commit(session, _wake.set)


@dataclass(frozen=True)
class Claimed:
    id: int
    name: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


def _claim_statement(*, named: bool) -> Prepared:
    """Claim up to ``limit`` due jobs (only jobs called ``name`` when ``named``) for ``b_worker``.

    Two index walks, each stopping after ``limit`` rows, merged: one WHERE with the two states
    OR-ed made SQLite collect and sort every due job for each claim — the whole queue, every time
    (B3). Expired leases are few: only jobs whose worker died. Built once (core/prepared.py):
    building it per claim cost more than running it.
    """
    now = bindparam("now", type_=Job.__table__.c.run_at.type)
    limit = bindparam("limit", type_=Integer())
    branches = []
    for state, due_now in ((QUEUED, Job.run_at <= now), (RUNNING, Job.lease_until < now)):
        branch = (select(Job.id, Job.run_at).where(Job.state == state, due_now)
                  .order_by(Job.run_at, Job.id).limit(limit).with_for_update(skip_locked=True))
        if named:
            branch = branch.where(Job.name == bindparam("name", type_=String()))
        one = branch.subquery()
        branches.append(select(one.c.id, one.c.run_at))
    merged = union_all(*branches).subquery()
    due = select(merged.c.id).order_by(merged.c.run_at, merged.c.id).limit(limit)
    return Prepared(
        update(Job)
        .where(Job.id.in_(due.scalar_subquery()))
        .values(state=RUNNING, locked_by=bindparam("b_worker", type_=String()), attempts=Job.attempts + 1,
                lease_until=bindparam("b_lease_until", type_=Job.__table__.c.lease_until.type))
        .returning(Job.id, Job.name, Job.payload, Job.attempts, Job.max_attempts))


_CLAIM = {False: _claim_statement(named=False), True: _claim_statement(named=True)}


def claim(db: Database, worker: str, *, limit: int = 10, lease_seconds: float = 60.0,
          name: str | None = None) -> list[Claimed]:
    """Take up to ``limit`` due jobs (or jobs whose lease expired) for ``worker``; only jobs
    called ``name`` when given."""
    now = clock.now()
    parameters = {"now": now, "limit": limit, "b_worker": worker,
                  "b_lease_until": now + timedelta(seconds=lease_seconds)}
    if name is not None:
        parameters["name"] = name
    with db.scope() as session:
        rows = _CLAIM[name is not None].rows(session, **parameters)
    return sorted((Claimed(r.id, r.name, r.payload or {}, r.attempts, r.max_attempts) for r in rows),
                  key=lambda c: c.id)


def _finish(db: Database, item: Claimed, worker: str, values: dict[str, Any]) -> bool:
    with db.scope() as session:
        return _finish_in(session, item, worker, values)


def _finish_in(session: Session, item: Claimed, worker: str, values: dict[str, Any]) -> bool:
    """Write a claimed job's outcome, fenced by (worker, attempt); False when its lease passed on."""
    stmt = (update(Job)
            .where(Job.id == item.id, Job.locked_by == worker, Job.attempts == item.attempt,
                   Job.state == RUNNING)
            .values(**values))
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return bool(getattr(result, "rowcount", 0))


def backoff_seconds(attempt: int) -> int:
    """Exponential back-off between retries: 2, 4, 8 … seconds, capped at an hour."""
    return min(2 ** attempt, MAX_BACKOFF_SECONDS)


def run_claimed(db: Database, item: Claimed, worker: str) -> str:
    """Run one claimed job and record its outcome; returns the state written."""
    fn = _registry.get(item.name)
    now = clock.now()
    if item.attempt > item.max_attempts:
        _finish(db, item, worker, {"state": FAILED, "finished_at": now, "locked_by": None,
                                   "last_error": "gave up: too many attempts"})
        return FAILED
    if fn is None:
        _finish(db, item, worker, {"state": FAILED, "finished_at": now, "locked_by": None,
                                   "last_error": f"no job registered as {item.name!r}"})
        return FAILED
    try:
        fn(db, **item.payload)
    except Exception:
        error = traceback.format_exc(limit=5)
        log.warning("job %s #%s failed (attempt %s)", item.name, item.id, item.attempt)
        if item.attempt >= item.max_attempts:
            _finish(db, item, worker, {"state": FAILED, "finished_at": clock.now(),
                                       "locked_by": None, "last_error": error})
            return FAILED
        _finish(db, item, worker, {"state": QUEUED, "locked_by": None, "lease_until": None,
                                   "last_error": error,
                                   "run_at": clock.now() + timedelta(seconds=backoff_seconds(item.attempt))})
        return QUEUED
    if not _finish(db, item, worker, {"state": DONE, "finished_at": clock.now(), "locked_by": None,
                                      "lease_until": None}):
        log.warning("job %s #%s finished after its lease passed to another worker", item.name, item.id)
        return LOST
    return DONE


@dataclass
class StartedBatch:
    """A batch begun by :func:`start_claimed_batch`, to be ended by :func:`finish_claimed_batch`."""

    items: list[Claimed]
    states: dict[int, str]  # jobs already settled (past their attempts)
    runnable: list[Claimed]
    outcome: dict[int, str] | InFlight


def run_claimed_batch(db: Database, items: list[Claimed], worker: str) -> dict[int, str]:
    """Run claimed jobs of one batch-registered name together; returns each job's state written.

    Jobs past their attempts are failed without running. The successes are finished in one
    statement, fenced like :func:`run_claimed` by (worker, attempt); a failure is retried with
    back-off or failed, one by one, as :func:`run_claimed` does.
    """
    return finish_claimed_batch(db, start_claimed_batch(db, items, worker), worker)


def start_claimed_batch(db: Database, items: list[Claimed], worker: str) -> StartedBatch:
    """The first half of :func:`run_claimed_batch`: settle the jobs past their attempts, call the body."""
    states: dict[int, str] = {}
    runnable = []
    for item in items:
        if item.attempt > item.max_attempts:
            _finish(db, item, worker, {"state": FAILED, "finished_at": clock.now(), "locked_by": None,
                                       "last_error": "gave up: too many attempts"})
            states[item.id] = FAILED
        else:
            runnable.append(item)
    outcome: dict[int, str] | InFlight = {}
    if runnable:
        fn, _size = _batch_registry[runnable[0].name]
        try:
            outcome = fn(db, runnable)
        except Exception:
            error = traceback.format_exc(limit=5)
            outcome = {item.id: error for item in runnable}
    return StartedBatch(items, states, runnable, outcome)


def finish_claimed_batch(db: Database, started: StartedBatch, worker: str) -> dict[int, str]:
    """The second half of :func:`run_claimed_batch`: complete the body's work, write each job's state
    (in the body's recording transaction when it answered ``InFlight``)."""
    states, runnable = started.states, started.runnable
    if not runnable:
        return states
    outcome = started.outcome
    if isinstance(outcome, dict):
        with db.scope() as session:
            states.update(_settle(session, runnable, outcome, worker))
        return states
    settled: dict[int, str] = {}
    try:
        outcome.complete(lambda session, errors: settled.update(_settle(session, runnable, errors, worker)))
        if not settled:
            raise RuntimeError("the batch body completed without settling its jobs")
    except Exception:
        error = traceback.format_exc(limit=5)
        with db.scope() as session:
            settled = _settle(session, runnable, {item.id: error for item in runnable}, worker)
    states.update(settled)
    return states


_DONE = Prepared(
    update(Job)
    .where(Job.id.in_(bindparam("ids", expanding=True)), Job.attempts == bindparam("b_attempt", type_=Integer()),
           Job.locked_by == bindparam("b_worker", type_=String()), Job.state == RUNNING)
    .values(state=DONE, finished_at=bindparam("b_now", type_=Job.__table__.c.finished_at.type), locked_by=None,
            lease_until=None)
    .returning(Job.id))
"""Mark ``ids`` done where they are still ``b_worker``'s attempt ``b_attempt``; returns those it marked."""


def _settle(session: Session, runnable: list[Claimed], errors: dict[int, str], worker: str) -> dict[int, str]:
    """Each job's state after its batch: the failed retried with back-off or failed, one by one as
    :func:`run_claimed` does; the rest done in one statement per attempt number, fenced by (worker, attempt)."""
    states: dict[int, str] = {}
    for item in runnable:
        if item.id in errors:
            log.warning("job %s #%s failed (attempt %s)", item.name, item.id, item.attempt)
            if item.attempt >= item.max_attempts:
                _finish_in(session, item, worker, {"state": FAILED, "finished_at": clock.now(), "locked_by": None,
                                                   "last_error": errors[item.id]})
                states[item.id] = FAILED
            else:
                _finish_in(session, item, worker, {
                    "state": QUEUED, "locked_by": None, "lease_until": None, "last_error": errors[item.id],
                    "run_at": clock.now() + timedelta(seconds=backoff_seconds(item.attempt))})
                states[item.id] = QUEUED
    succeeded = [item for item in runnable if item.id not in errors]
    finished: set[int] = set()
    by_attempt: dict[int, list[int]] = {}
    for item in succeeded:
        by_attempt.setdefault(item.attempt, []).append(item.id)
    for attempt, job_ids in by_attempt.items():  # usually one: a batch's jobs are mostly first attempts
        finished.update(_DONE.scalars(session, ids=job_ids, b_attempt=attempt, b_worker=worker, b_now=clock.now()))
    for item in succeeded:
        if item.id in finished:
            states[item.id] = DONE
        else:
            log.warning("job %s #%s finished after its lease passed to another worker", item.name, item.id)
            states[item.id] = LOST
    return states


def release(db: Database, worker: str, job_ids: list[int]) -> int:
    """Hand claimed but unstarted jobs back to the queue (a worker stopping mid-batch)."""
    if not job_ids:
        return 0
    stmt = (update(Job).where(Job.id.in_(job_ids), Job.locked_by == worker, Job.state == RUNNING)
            .values(state=QUEUED, locked_by=None, lease_until=None, attempts=Job.attempts - 1))
    with db.scope() as session:
        result = session.execute(stmt, execution_options={"synchronize_session": False})
        return int(getattr(result, "rowcount", 0) or 0)


def run_due_jobs(db: Database, *, worker: str = "inline", limit: int = 100) -> int:
    """Run every job due now, in this thread (tests and one-shot commands); returns how many ran."""
    total = 0
    while True:
        batch = claim(db, worker, limit=limit)
        if not batch:
            return total
        for item in batch:
            run_claimed(db, item, worker)
        total += len(batch)


def default_runners(dialect: str) -> int:
    """Worker loops one worker process runs side by side: on PostgreSQL a loop spends most of its
    time waiting on the server (round trips, durable commits), so two overlap their waits (B3);
    SQLite's writes take turns anyway, so one."""
    return 2 if dialect == "postgresql" else 1


class Worker:
    """A loop that claims and runs jobs until stopped; heartbeats keep its leases alive. Loops of
    one process or many share the queue safely (claims skip what another holds)."""

    def __init__(self, db: Database, *, name: str | None = None, batch: int = 10,
                 lease_seconds: float = 60.0, poll_seconds: float = 0.5) -> None:
        self.db = db
        self.name = name or ids.worker_id()
        self.batch = batch
        self._claim_size = batch
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self._held: set[int] = set()
        self._lock = threading.Lock()

    def _heartbeat(self) -> None:
        while not self.stopping.wait(self.lease_seconds / 3):
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            try:
                with self.db.scope() as session:
                    session.execute(
                        update(Job).where(Job.id.in_(held), Job.locked_by == self.name)
                        .values(lease_until=clock.now() + timedelta(seconds=self.lease_seconds)),
                        execution_options={"synchronize_session": False})
            except Exception:  # a missed heartbeat only risks a duplicate run of an idempotent job
                log.exception("heartbeat failed")

    def run(self) -> None:
        """Work until :meth:`stop`; safe to run in a thread of the server."""
        heap.settle()
        beat = threading.Thread(target=self._heartbeat, name=f"{self.name}-heartbeat", daemon=True)
        beat.start()
        # A batch whose body answered InFlight: ended once the next batch has started (or when
        # nothing else is due), so its network time overlaps the next batch's database work.
        in_flight: tuple[list[Claimed], StartedBatch] | None = None
        next_recurring_check = 0.0
        try:
            while not self.stopping.is_set():
                if time.monotonic() >= next_recurring_check:
                    next_recurring_check = time.monotonic() + RECURRING_CHECK_SECONDS
                    try:
                        queue_recurring(self.db)
                    except Exception:  # the next check tries again
                        log.exception("queueing recurring jobs failed")
                try:
                    batch = claim(self.db, self.name, limit=self._claim_size, lease_seconds=self.lease_seconds)
                    units = self._units(batch)
                except Exception:
                    log.exception("claiming jobs failed; retrying")
                    batch, units = [], []
                # The whole batch is held from the claim on: a long first job must not let the
                # leases of the jobs queued behind it expire (another worker would run them too).
                with self._lock:
                    self._held.update(item.id for unit in units for item in unit)
                for position, unit in enumerate(units):
                    if self.stopping.is_set():
                        # Stopping: the rest of the batch goes back now, not after its lease.
                        self._release([i.id for rest in units[position:] for i in rest])
                        break
                    if unit[0].name in _batch_registry:
                        started = self._start(unit)
                        if started is None:
                            continue
                        self._end(in_flight)  # its network time overlapped this batch's start
                        in_flight = (unit, started)
                        if isinstance(started.outcome, dict):  # done already: nothing to overlap
                            self._end(in_flight)
                            in_flight = None
                        continue
                    self._end(in_flight)
                    in_flight = None
                    try:
                        run_claimed(self.db, unit[0], self.name)
                    except Exception:  # e.g. the database went away; the lease expires and it is retried
                        log.exception("recording the outcome of job %s #%s failed", unit[0].name, unit[0].id)
                    finally:
                        self._let_go(unit)
                if not batch:
                    if in_flight is not None:  # nothing else due: end it now rather than after a poll
                        self._end(in_flight)
                        in_flight = None
                        continue
                    _wake.wait(self.poll_seconds)
                    _wake.clear()
        finally:
            self._end(in_flight)

    def _start(self, unit: list[Claimed]) -> StartedBatch | None:
        try:
            return start_claimed_batch(self.db, unit, self.name)
        except Exception:  # e.g. the database went away; the leases expire and they are retried
            log.exception("starting the batch of job %s #%s failed", unit[0].name, unit[0].id)
            self._let_go(unit)
            return None

    def _end(self, begun: tuple[list[Claimed], StartedBatch] | None) -> None:
        if begun is None:
            return
        unit, started = begun
        try:
            finish_claimed_batch(self.db, started, self.name)
        except Exception:  # e.g. the database went away; the leases expire and they are retried
            log.exception("recording the outcome of job %s #%s failed", unit[0].name, unit[0].id)
        finally:
            self._let_go(unit)

    def _let_go(self, unit: list[Claimed]) -> None:
        with self._lock:
            self._held.difference_update(item.id for item in unit)

    def _release(self, job_ids: list[int]) -> None:
        try:
            release(self.db, self.name, job_ids)
        except Exception:
            log.exception("releasing unstarted jobs failed; their leases will expire")
        with self._lock:
            self._held.difference_update(job_ids)

    def _units(self, batch: list[Claimed]) -> list[list[Claimed]]:
        """What to run in turn: one job alone, or every claimed job of a batch-registered name
        together (topped up to the name's batch size with a claim of that name only)."""
        units: list[list[Claimed]] = []
        groups: dict[str, list[Claimed]] = {}
        for item in batch:
            if item.name not in _batch_registry:
                units.append([item])
            elif item.name in groups:
                groups[item.name].append(item)
            else:
                groups[item.name] = [item]
                units.append(groups[item.name])
        for name, group in groups.items():
            room = _batch_registry[name][1] - len(group)
            if room > 0:
                try:
                    group.extend(claim(self.db, self.name, limit=room, lease_seconds=self.lease_seconds,
                                       name=name))
                except Exception:  # what was claimed already still runs
                    log.exception("claiming more %s jobs failed", name)
        # A full batch says more of its kind are queued: the next claim asks for a whole one at
        # once, saving the top-up's round trip (a durable commit on PostgreSQL).
        full = [_batch_registry[name][1] for name, group in groups.items() if len(group) >= _batch_registry[name][1]]
        self._claim_size = max([self.batch, *full])
        return units

    def stop(self) -> None:
        self.stopping.set()
        _wake.set()


# ---------------------------------------------------------------- housekeeping

PRUNE_CHUNK = 5_000


@recurring("jobs.prune", every=timedelta(hours=1))
def prune_finished_jobs(db: Database) -> None:
    """Delete jobs done or failed more than ``OPENOA_JOB_RETENTION_DAYS`` ago, a chunk per transaction."""
    delete_finished_jobs(db, older_than=clock.now() - timedelta(days=get_settings().job_retention_days))


def delete_finished_jobs(db: Database, *, older_than: datetime) -> int:
    """Delete done and failed jobs finished before ``older_than``; how many went. Each chunk walks
    ``ix_jobs_state_run_at`` (a job runs before it finishes), so queued work is never scanned."""
    total = 0
    for state in (DONE, FAILED):
        while True:
            chunk = (select(Job.id).where(Job.state == state, Job.run_at < older_than, Job.finished_at < older_than)
                     .limit(PRUNE_CHUNK).scalar_subquery())
            with db.scope() as session:
                gone = session.execute(delete(Job).where(Job.id.in_(chunk)),
                                       execution_options={"synchronize_session": False})
                count = int(getattr(gone, "rowcount", 0) or 0)
            total += count
            if count < PRUNE_CHUNK:
                break
    return total
