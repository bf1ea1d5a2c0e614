"""Channel health: each chat channel connects in the background and reports its state to /readyz,
so an unreachable or rejecting platform never takes the web page, the API or other channels down."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("djbot.channels")


class PermanentFailure(Exception):
    """A failure that retrying soon will not fix (a revoked token); retried only at the slowest pace."""


@dataclass
class ChannelStatus:
    """connecting | ok | failed, with the reason people read in /readyz."""

    name: str
    state: str = "connecting"
    reason: str = ""
    attempts: int = 0
    since: float = field(default_factory=time.time)

    def set(self, state: str, reason: str = "") -> None:
        if (state, reason) != (self.state, self.reason):
            self.since = time.time()
        self.state, self.reason = state, reason

    def to_dict(self) -> dict:
        text = self.state if not self.reason else f"{self.state}: {self.reason}"
        return {"state": self.state, "reason": self.reason, "status": text, "attempts": self.attempts}


async def connect_with_backoff(status: ChannelStatus, connect: Callable[[], Awaitable[None]],
                               describe: Callable[[BaseException], str], *, first_delay: float = 1.0,
                               max_delay: float = 300.0, sleep=asyncio.sleep) -> None:
    """Call `connect` until it succeeds, doubling the pause after each failure up to `max_delay`.
    A PermanentFailure waits `max_delay` at once. Runs until connected or cancelled."""
    delay = min(first_delay, max_delay)
    while True:
        status.attempts += 1
        try:
            await connect()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure is reported and retried; none escapes the task
            reason = describe(exc)
            status.set("failed", reason)
            log.warning("%s not connected (attempt %d): %s", status.name, status.attempts, reason)
            await sleep(max_delay if isinstance(exc, PermanentFailure) else delay)
            delay = min(delay * 2, max_delay)
            continue
        status.set("ok")
        log.info("%s connected", status.name)
        return
