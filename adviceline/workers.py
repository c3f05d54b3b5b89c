"""`adviceline serve --workers N`: N service processes on one port, started and watched by one.

Each service process is an ordinary `adviceline serve` that listens with SO_REUSEPORT, so the
kernel spreads new connections over the processes (by a hash of the client's address and port).
This process only supervises: a service process that ends is logged and started again (after a
pause that grows while it keeps failing), SIGTERM/SIGINT stop them all and wait for each to
finish its own clean stop, SIGHUP is passed on (each reloads its knowledge base). A service
process also stops by itself when its supervisor is gone (its stdin, a pipe from here, closes).
Only PostgreSQL can be shared by several processes (see `refusal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("adviceline.workers")

STOP_SECONDS = 60.0        # a service process's own stop takes at most ~35 s (web, work, pool)
FIRST_RESTART_SECONDS = 1.0
MAX_RESTART_SECONDS = 30.0
STEADY_SECONDS = 60.0      # a process that ran this long was fine: the next restart is quick
REFUSED = 2                # the exit code of a start refused for its configuration or database


def refusal(count: int, database_url: str, host: str, port: int) -> str | None:
    """Why `count` processes cannot serve this configuration, or None when they can."""
    if count < 1:
        return "--workers must be 1 or more"
    if count == 1:
        return None
    if not database_url.startswith("postgresql"):
        return ("--workers needs PostgreSQL: SQLite is served by one process (another process "
                "would queue for its single writer and see changes only by polling); run "
                "`adviceline serve` without --workers, or set database.url to "
                "postgresql+asyncpg://... (README, \"Running several processes\")")
    if not hasattr(socket, "SO_REUSEPORT"):
        return ("--workers needs SO_REUSEPORT (Linux, BSD); here, start one process per port "
                "behind a load balancer (README, \"Running several processes\")")
    if port == 0:
        return "--workers needs a fixed port (service.port or --port), not 0"
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            probe.bind((host, port))
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


@dataclass
class _Slot:
    number: int
    process: asyncio.subprocess.Process | None = None
    started: float = 0.0
    restarts: int = 0
    failures_in_a_row: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class Supervisor:
    """Runs `command(number)` (a service process's argv) for numbers 1..count, until stopped."""

    def __init__(self, command: Callable[[int], list[str]], count: int) -> None:
        self._command = command
        self._slots = [_Slot(number) for number in range(1, count + 1)]
        self._stopping = asyncio.Event()
        self.exit_code = 0

    def pids(self) -> list[int]:
        return [slot.process.pid for slot in self._slots if slot.process is not None
                and slot.process.returncode is None]

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop)
        loop.add_signal_handler(signal.SIGINT, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self._pass_on, signal.SIGHUP)
        log.info("starting service processes", extra={"count": len(self._slots)})
        for slot in self._slots:
            slot.task = asyncio.create_task(self._keep_running(slot), name=f"worker-{slot.number}")
        await self._stopping.wait()
        log.info("stopping service processes", extra={"pids": self.pids()})
        self._pass_on(signal.SIGTERM)
        tasks = [slot.task for slot in self._slots if slot.task is not None]
        _done, pending = await asyncio.wait(tasks, timeout=STOP_SECONDS)
        if pending:
            for slot in self._slots:
                if slot.process is not None and slot.process.returncode is None:
                    log.error("a service process did not stop in time; killed",
                              extra={"worker": slot.number, "pid": slot.process.pid})
                    with contextlib.suppress(ProcessLookupError):
                        slot.process.kill()
            await asyncio.wait(pending, timeout=10)
            self.exit_code = self.exit_code or 1
        return self.exit_code

    def stop(self) -> None:
        self._stopping.set()

    def _pass_on(self, signum: int) -> None:
        for slot in self._slots:
            if slot.process is not None and slot.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    slot.process.send_signal(signum)

    async def _keep_running(self, slot: _Slot) -> None:
        while not self._stopping.is_set():
            argv = self._command(slot.number)
            slot.started = time.monotonic()
            # A session of its own: a terminal's Ctrl+C reaches only this process, which then
            # stops the service processes once, in order. stdin: a pipe that closes when we die.
            try:
                slot.process = await asyncio.create_subprocess_exec(
                    *argv, stdin=asyncio.subprocess.PIPE, start_new_session=True)
            except OSError:
                log.exception("starting a service process failed; will try again",
                              extra={"worker": slot.number})
                await self._pause(MAX_RESTART_SECONDS)
                continue
            log.info("service process started", extra={"worker": slot.number,
                                                       "pid": slot.process.pid})
            code = await slot.process.wait()
            if self._stopping.is_set():
                if code != 0:
                    log.error("a service process stopped with an error",
                              extra={"worker": slot.number, "pid": slot.process.pid,
                                     **_how(code)})
                    self.exit_code = 1
                return
            ran = time.monotonic() - slot.started
            if code == REFUSED and slot.restarts == 0 and slot.failures_in_a_row == 0:
                # Its configuration or database refused the start (its one line says why):
                # starting it again would only say the same.
                log.error("a service process refused to start; stopping",
                          extra={"worker": slot.number, "pid": slot.process.pid})
                self.exit_code = REFUSED
                self.stop()
                return
            slot.failures_in_a_row = 0 if ran >= STEADY_SECONDS else slot.failures_in_a_row + 1
            wait = 0.0 if slot.failures_in_a_row == 0 else min(
                FIRST_RESTART_SECONDS * 2 ** (slot.failures_in_a_row - 1), MAX_RESTART_SECONDS)
            slot.restarts += 1
            log.warning("a service process ended; starting another",
                        extra={"worker": slot.number, "pid": slot.process.pid, **_how(code),
                               "ran_seconds": round(ran, 1), "restart_in_seconds": wait,
                               "restarts": slot.restarts})
            await self._pause(wait)

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less when we are asked to stop meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()


def _how(code: int) -> dict[str, object]:
    """A child's end as a log field: its exit code, or the signal that ended it."""
    if code < 0:
        return {"signal": signal.Signals(-code).name}
    return {"exit_code": code}


def watch_supervisor(stop: Callable[[], None]) -> None:
    """In a service process: call `stop` once our stdin (the supervisor's pipe) closes."""
    loop = asyncio.get_running_loop()

    def gone() -> None:
        loop.remove_reader(0)
        stop()

    loop.add_reader(0, gone)
