"""Routing and priority benchmarks (issue #4). They print figures; nothing here passes or fails.

    python bench/router.py select     # compare classifiers on wording the training never saw
    python bench/router.py train      # train on 100,000 cases: accuracy, sizes, decision and lookup p99
    python bench/router.py priority   # rescore 1,000,000 open cases while intake keeps reading mail
    python bench/router.py all

Each run starts from an empty SQLite database under bench/out/, seeded by `frontline seed`, and stops by
itself. Nothing listens on a network port.
"""

import argparse
import datetime
import json
import multiprocessing
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_MINUTE = datetime.timedelta(minutes=1)
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))
from intake import generate, in_process, known_senders, percentile  # noqa: E402
from run import env_for  # noqa: E402


def seeded(name: str, customers: int, cases: int, open_share: float) -> Path:
    data_dir = ROOT / "bench" / "out" / f"{name}-{int(time.time())}"
    data_dir.mkdir(parents=True)
    env = env_for(data_dir)
    subprocess.run([BIN / "frontline", "migrate", "-v0"], env=env, check=True)
    started = time.monotonic()
    subprocess.run(
        [
            BIN / "frontline",
            "seed",
            "--customers",
            str(customers),
            "--cases",
            str(cases),
            "--open-share",
            str(open_share),
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"SEED {cases} cases ({open_share:.0%} open) in {time.monotonic() - started:.0f} s")
    return data_dir


def ms(values, q) -> str:
    return f"{percentile(values, q) * 1000:.2f}"


def run_train(args) -> None:
    if args.data_dir:  # a database `train` seeded before
        data_dir = Path(args.data_dir)
    else:
        data_dir = seeded("router", customers=10_000, cases=args.cases, open_share=0.02)
    in_process(data_dir)
    from frontline.cases.models import Case
    from frontline.demo import texts
    from frontline.routing import classifier, services

    started = time.monotonic()
    trained = services.train_router(limit=100_000)
    seconds = time.monotonic() - started
    index_size = (services.models_dir() / trained.index_path).stat().st_size
    m = trained.metrics
    print(
        f"TRAIN cases={trained.cases_used} (learned from {m['trained_on']}, held out {m['held_out']}) "
        f"seconds={seconds:.1f} (classifier fit and held-out check, index, files)"
    )
    print(f"TRAIN model file {trained.size_bytes / 1e6:.1f} MB; similar-case index {index_size / 1e6:.1f} MB")
    print(f"TRAIN held-out demo cases: top-1 {m['top1']:.1%} top-3 {m['top3']:.1%} ECE {m['ece']:.3f}")

    # Text the generator writes afresh (a seed never used by the demo): how it does on unseen demo text.
    rng = random.Random("bench-held-out")
    fresh, labels = [], []
    for _ in range(5000):
        topic = rng.choice(list(texts.SKILLS))
        text = texts.compose(topic, rng, {"domain": f"new{rng.randint(1, 99999)}.example", "person": "Kim"})
        fresh.append(classifier.case_text(text.subject, text.body))
        labels.append(topic)
    loaded = services.current_model()
    result = classifier.evaluate(loaded.classifier, fresh, labels)
    print(
        f"EVAL freshly generated 5,000: top-1 {result.top1:.1%} top-3 {result.top3:.1%} ECE {result.ece:.3f}"
    )

    rows = [
        json.loads(line) for line in (ROOT / "tests/data/handwritten_topics.jsonl").read_text().splitlines()
    ]
    hand = classifier.evaluate(loaded.classifier, [r["text"] for r in rows], [r["label"] for r in rows])
    print(classifier.format_report(hand, title="EVAL hand-written set (tests/data/handwritten_topics.jsonl)"))
    confident = [
        r[0][0] == row["label"]
        for r, row in zip(classifier.predict(loaded.classifier, [r["text"] for r in rows]), rows, strict=True)
        if r[0][1] >= services.threshold()
    ]
    print(
        f"EVAL hand-written above the triage threshold {services.threshold():.2f}: {len(confident)} of "
        f"{len(rows)} routed, {sum(confident) / len(confident):.1%} of those right; the rest wait in triage"
    )

    # One decision: classify the case's text, then score the candidates with the skill. No writes.
    open_cases = list(Case.objects.filter(is_open=True).select_related("customer", "topic")[:1000])
    decisions, lookups = [], []
    for case in open_cases:
        body = services._opening_message(case)
        started = time.perf_counter()
        guess = services.classify(case.subject, body)
        if guess.slug != (case.topic.slug if case.topic_id else None):
            from frontline.agents.models import Skill

            case.topic = Skill.objects.get(slug=guess.slug)
        services.candidates(case)
        decisions.append(time.perf_counter() - started)
        started = time.perf_counter()
        services.similar_cases(case)
        lookups.append(time.perf_counter() - started)
    print(
        f"DECIDE classify+route {len(decisions)} cases: p50 {ms(decisions, 0.5)} p99 {ms(decisions, 0.99)} ms"
    )
    print(
        f"SIMILAR over {len(loaded.index):,} resolved cases, {len(lookups)} lookups (with the rows fetched): "
        f"p50 {ms(lookups, 0.5)} ms p99 {ms(lookups, 0.99)} ms"
    )


def run_select(args) -> None:
    """How the classifier was chosen, without the hand-written set: the generator's phrase banks split in
    halves; every variant learns from texts made of one half and is judged on texts made of the other."""
    from django.conf import settings

    if not settings.configured:
        import os

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontline.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    from frontline.demo import symptoms, texts
    from frontline.routing import classifier

    banks = [texts.SUBJECTS, texts.PROBLEMS, symptoms.THINGS, symptoms.STATES]
    whole = [{k: list(v) for k, v in bank.items()} for bank in banks]

    def corpus(n, seed, half):
        for bank, original in zip(banks, whole, strict=True):
            for key, phrases in original.items():
                bank[key] = phrases[half::2]
        rng, out, labels = random.Random(seed), [], []
        for _ in range(n):
            topic = rng.choice(list(texts.SKILLS))
            text = texts.compose(topic, rng, {"domain": f"s{rng.randint(1, 9999)}.example", "person": "Pat"})
            out.append(classifier.case_text(text.subject, text.body))
            labels.append(topic)
        return out, labels

    train_x, train_y = corpus(args.select_cases, "learn", 0)
    dev_x, dev_y = corpus(3000, "judge", 1)
    for bank, original in zip(banks, whole, strict=True):
        bank.update(original)

    def words():
        return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, strip_accents="unicode")

    def chars(high):
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, high),
            sublinear_tf=True,
            min_df=3,
            max_features=200_000,
            strip_accents="unicode",
        )

    def svm_cv(c):
        return CalibratedClassifierCV(LinearSVC(C=c), method="sigmoid", cv=3)

    variants = {
        "words, SVM (3-fold calibrated)": lambda: make_pipeline(words(), svm_cv(0.5)),
        "words, complement NB (calibrated)": lambda: make_pipeline(
            words(), CalibratedClassifierCV(ComplementNB(alpha=0.3), method="sigmoid", cv=3)
        ),
        "words, logistic regression": lambda: make_pipeline(words(), LogisticRegression(C=10, max_iter=300)),
        "words+chars 3-5, SVM (3-fold calibrated)": lambda: make_pipeline(
            make_union(words(), chars(5)), svm_cv(0.5)
        ),
        "words+chars 3-4, SVM (3-fold calibrated)": lambda: make_pipeline(
            make_union(words(), chars(4)), svm_cv(0.5)
        ),
        "words+chars 3-4, SVM C=0.1, calibrated on an eighth": lambda: _frozen(LinearSVC(C=0.1), chars),
        "chosen: words+chars 3-4, SGD SVM, calibrated on an eighth": None,
    }

    def _frozen(estimator, chars):
        from sklearn.frozen import FrozenEstimator

        cut = len(train_x) * 7 // 8
        union = make_union(words(), chars(4))
        estimator.fit(union.fit_transform(train_x[:cut]), train_y[:cut])
        calibrated = CalibratedClassifierCV(FrozenEstimator(estimator), method="sigmoid")
        return make_pipeline(union, calibrated.fit(union.transform(train_x[cut:]), train_y[cut:]))

    for name, make in variants.items():
        started = time.monotonic()
        if make is None:
            model = classifier.train(train_x, train_y)
        elif "eighth" in name:
            model = make()
        else:
            model = make().fit(train_x, train_y)
        fit = time.monotonic() - started
        result = classifier.evaluate(model, dev_x, dev_y)
        started = time.perf_counter()
        for text in dev_x[:200]:
            model.predict_proba([text])
        per = (time.perf_counter() - started) / 200 * 1000
        print(
            f"SELECT {name:<62} fit {fit:5.1f} s  top-1 {result.top1:.3f}  top-3 {result.top3:.3f}  "
            f"ECE {result.ece:.3f}  one prediction {per:.2f} ms",
            flush=True,
        )


def _intake_worker(data_dir: str, messages: int, queue, start_event, stop_event) -> None:
    """A separate process reading mail through the intake pipeline, one message at a time, timing each,
    until it is told to stop."""
    in_process(Path(data_dir))
    from frontline.intake import services
    from frontline.intake.models import Source

    stream = generate(known_senders(), messages, random.Random(11))
    start_event.wait()
    timings = []
    for _, raw, _ in stream:
        if stop_event.is_set():
            break
        started = time.perf_counter()
        row, _ = services.accept(raw, source=Source.IMPORT)
        services.process(row)
        timings.append(time.perf_counter() - started)
    queue.put(timings)


def _intake_run(data_dir: Path, messages: int, during=None, seconds: float = 30) -> tuple[list[float], float]:
    """Intake in its own process for `seconds`, or while `during` runs here; answers its timings."""
    ctx = multiprocessing.get_context("spawn")
    queue, start_event, stop_event = ctx.Queue(), ctx.Event(), ctx.Event()
    worker = ctx.Process(
        target=_intake_worker, args=(str(data_dir), messages, queue, start_event, stop_event)
    )
    worker.start()
    time.sleep(20)  # let it load Django and generate its mail before the clock starts
    start_event.set()
    started = time.monotonic()
    if during is not None:
        during()
    else:
        time.sleep(seconds)
    took = time.monotonic() - started
    stop_event.set()
    timings = queue.get()
    worker.join()
    return timings, took


def run_priority(args) -> None:
    if args.data_dir:  # a database this benchmark seeded before (the seed takes about ten minutes)
        data_dir = Path(args.data_dir)
    else:
        data_dir = seeded("priority", customers=100_000, cases=args.open_cases, open_share=1.0)
    in_process(data_dir)
    from frontline.cases.models import Case
    from frontline.cases.services import refresh_open_priorities

    open_cases = Case.objects.filter(is_open=True).count()
    print(f"PRIORITY open cases: {open_cases:,}")
    alone, _ = _intake_run(data_dir, args.messages, seconds=30)
    print(f"INTAKE alone for 30 s, {len(alone)} messages: p50 {ms(alone, 0.5)} ms p99 {ms(alone, 0.99)} ms")
    from frontline.core import clock

    now = clock.now()
    # First every score rewritten (the worst case: after a change of weights, or the first pass after an
    # import); then the periodic job every five minutes, which rewrites the scores that moved a point.
    passes = [("every score rewritten (step 0)", now, 0.0)] + [
        (f"periodic pass +{n} min (step 1)", now + ONE_MINUTE * n, 1.0) for n in (5, 10, 15, 20)
    ]
    for label, at, step in passes:
        counted = {}

        def rescore(at=at, step=step, counted=counted):
            with clock.frozen_at(at):
                counted["n"] = refresh_open_priorities(step=step)

        during, seconds = _intake_run(data_dir, args.messages, during=rescore)
        print(f"PRIORITY {label}: {open_cases:,} scored, {counted['n']:,} rewritten in {seconds:.1f} s")
        print(
            f"INTAKE meanwhile, {len(during)} messages: p50 {ms(during, 0.5)} ms "
            f"p99 {ms(during, 0.99)} ms max {max(during) * 1000:.1f} ms",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["select", "train", "priority", "all"])
    parser.add_argument("--select-cases", type=int, default=20_000, help="Texts each variant learns from")
    parser.add_argument("--cases", type=int, default=110_000, help="Seeded cases for training (2%% open)")
    parser.add_argument("--open-cases", type=int, default=1_000_000)
    parser.add_argument("--data-dir", help="Re-use a database `train` or `priority` seeded before")
    parser.add_argument("--messages", type=int, default=40_000, help="Most mail intake reads meanwhile")
    args = parser.parse_args()
    if args.what == "select":
        run_select(args)
    if args.what in ("train", "all"):
        run_train(args)
    if args.what in ("priority", "all"):
        if args.what == "all":  # a fresh interpreter: Django is set up for one data directory per process
            subprocess.run(
                [sys.executable, __file__, "priority", "--open-cases", str(args.open_cases)], check=True
            )
        else:
            run_priority(args)


if __name__ == "__main__":
    main()
