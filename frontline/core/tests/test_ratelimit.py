"""The shared-cache hit counter counts every hit, even from several processes at the same moment."""

import multiprocessing

from frontline.core.ratelimit import hits


def _hit_many(key: str, times: int) -> None:
    for _ in range(times):
        hits(key, window_seconds=600)


def test_four_processes_hitting_at_once_are_all_counted(settings):
    # given the default file cache, shared by processes on this machine (the autouse fixture's directory)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_hit_many, args=("rate:test:1.2.3.4", 50)) for _ in range(4)]

    # when four processes count 50 hits each at the same time
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    # then the next hit is the 201st
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert hits("rate:test:1.2.3.4", window_seconds=600) == 201
