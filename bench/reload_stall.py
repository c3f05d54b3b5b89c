"""How long the event loop stalls while the knowledge base reloads: the old synchronous
`Faq.reload()` against `Faq.reload_async()` (the matcher built in a worker thread).

    python bench/reload_stall.py            # 3 reloads each way

A ticker task sleeps 5 ms at a time; the longest gap between its wake-ups is the stall a parent's
request would have seen. Bounded: 2 x runs reloads of the shipped knowledge base.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adviceline.config import load_config
from adviceline.faq import Faq


async def longest_stall(reload: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await reload()
    took = time.perf_counter() - started
    done.set()
    await ticking
    return max(gaps) * 1000, took


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    faq = Faq(load_config(environ={}))

    async def blocking() -> None:
        faq.reload()

    print("| reload | runs | reload takes s | longest loop stall ms |")
    print("| --- | --- | --- | --- |")
    for name, reload in (("reload() on the loop", blocking), ("reload_async()", faq.reload_async)):
        results = [await longest_stall(reload) for _ in range(args.runs)]
        stalls = sorted(stall for stall, _ in results)
        took = sorted(took for _, took in results)
        print(f"| {name} | {args.runs} | {took[len(took) // 2]:.2f} | "
              f"{stalls[len(stalls) // 2]:.0f} (max {stalls[-1]:.0f}) |")


if __name__ == "__main__":
    asyncio.run(main())
