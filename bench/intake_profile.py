"""Where a message's time goes on intake's in-process path: for profilers and instruction counters.

    python bench/intake_profile.py prepare                   # once: bench/out/profile-base (about a minute)
    python bench/intake_profile.py time --messages 4000      # wall and CPU per message
    python bench/intake_profile.py statements --messages 2000  # each statement: count and time per message
        # (watching the statements sends them through Django's cursor: their times include its wrapper)
    valgrind --tool=callgrind python bench/intake_profile.py time --messages 800   # and --messages 400:
        # the difference of the two instruction counts is 400 messages, whatever the machine's load

Each run copies the prepared database (2,000 customers, 20,000 finished cases, the router trained), reads
400 messages to warm up, then the rest of `--messages`: the stream `bench/intake.py inproc` reads. A py-spy
or cProfile run wraps `time`.
"""

import argparse
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intake

BASE = intake.ROOT / "bench" / "out" / "profile-base"
RUN = intake.ROOT / "bench" / "out" / "profile-run"
WARM = 400


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["prepare", "time", "statements"])
    parser.add_argument("--messages", type=int, default=4000)
    args = parser.parse_args()
    if args.mode == "prepare":
        shutil.rmtree(BASE, ignore_errors=True)
        shutil.move(intake.fresh_database("profile-prepare", history=20000), BASE)
        return
    shutil.rmtree(RUN, ignore_errors=True)
    shutil.copytree(BASE, RUN)
    intake.in_process(RUN)
    from django.db import connection

    from frontline.intake import services
    from frontline.intake.models import Source

    stream = [
        raw for _, raw, _ in intake.generate(intake.known_senders(), args.messages, intake.random.Random(3))
    ]

    def read(messages):
        for start in range(0, len(messages), 1000):
            for raw in messages[start : start + 1000]:
                services.accept(raw, source=Source.IMPORT)
            services.process_pending()

    read(stream[:WARM])
    rest = stream[WARM:]
    if args.mode == "time":
        started, cpu = time.monotonic(), time.process_time()
        read(rest)
        wall, cpu = time.monotonic() - started, time.process_time() - cpu
        each = 1000 * cpu / len(rest)
        print(f"PROFILE {len(rest)} messages: {len(rest) / wall:.0f}/s, {each:.3f} ms CPU each")
        return
    counts, seconds = Counter(), Counter()

    def watch(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = re.sub(r"'(?:[^']|'')*'", "?", sql)
            shape = re.sub(r'"s\d+_x\d+"', "S", re.sub(r"\b\d+(\.\d+)?\b", "N", shape))[:150]
            counts[shape] += 1
            seconds[shape] += time.perf_counter() - started

    with connection.execute_wrapper(watch):
        read(rest)
    total, spent_ms = sum(counts.values()), 1000 * sum(seconds.values())
    print(f"PROFILE {total / len(rest):.1f} statements, {spent_ms / len(rest):.3f} ms a message")
    for shape, spent in seconds.most_common(40):
        print(f"{1000 * spent / len(rest):7.3f} ms {counts[shape] / len(rest):5.2f}x  {shape}")


if __name__ == "__main__":  # the parsing pool spawns processes that import this module
    main()
