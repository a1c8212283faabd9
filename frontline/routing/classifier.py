"""The topic classifier: which skill a case needs, with a confidence that means what it says.

TF-IDF over words (and word pairs) and over character n-grams within words, so that "certificat",
"cert" and "certificate" share evidence and misspellings still count; a linear SVM fitted by stochastic
gradient descent; then Platt scaling fitted on an eighth of the cases the SVM never saw, so that of the
cases given confidence 0.8 about eight in ten are right (calibration is measured, by reliability bins and
expected calibration error, not assumed).

Chosen on wording the training never saw (bench/router.py select: the demo generator's phrase banks split
in halves, training on one half and judging on the other), never on the hand-written set in tests/data:
characters 3-4 beat words alone by two points there; regularisation barely mattered; gradient descent
matched liblinear's SVM (0.918 against 0.916) in a tenth of the time; one calibrated SVM predicts in half
the time of a cross-validated ensemble.

Plain functions over plain data (texts and labels): the router's services feed them cases, and the eval
command feeds them a file.
"""

import itertools
import time
import weakref
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline, make_union

from frontline.routing.text import MAX_CHARS as MAX_CHARS
from frontline.routing.text import case_text as case_text


def features():
    return make_union(
        TfidfVectorizer(
            sublinear_tf=True, ngram_range=(1, 2), min_df=2, strip_accents="unicode", dtype=np.float32
        ),
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 4),
            sublinear_tf=True,
            min_df=3,
            max_features=200_000,
            strip_accents="unicode",
            dtype=np.float32,
        ),
    )


# Below this many cases an eighth is too few to calibrate on: cross-validation folds do it instead.
SEPARATE_CALIBRATION_FROM = 800


def svm():
    return SGDClassifier(loss="hinge", alpha=1e-5, max_iter=10, tol=None, random_state=0, n_jobs=2)


def train(texts: list[str], labels: list[str]):
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("training needs cases of at least two topics")
    too_few = sorted(topic for topic, n in counts.items() if n < 3)
    if too_few:
        raise ValueError(f"each topic needs at least 3 resolved cases; too few for: {', '.join(too_few)}")
    if len(texts) < SEPARATE_CALIBRATION_FROM:
        model = make_pipeline(features(), CalibratedClassifierCV(svm(), method="sigmoid", cv=3))
        return model.fit(texts, labels)
    fit_texts, calibration_texts, fit_labels, calibration_labels = train_test_split(
        texts, labels, test_size=0.125, random_state=0, stratify=labels
    )
    vectorizer = features()
    fitted = svm().fit(vectorizer.fit_transform(fit_texts), fit_labels)
    calibrated = CalibratedClassifierCV(FrozenEstimator(fitted), method="sigmoid")
    calibrated.fit(vectorizer.transform(calibration_texts), calibration_labels)
    return make_pipeline(vectorizer, calibrated)


@dataclass(frozen=True)
class _Reading:
    """What a fitted TF-IDF vectorizer reads a text with, taken out of it once (its `idf_` is rebuilt on
    every access)."""

    analyze: object
    vocabulary: dict
    idf: np.ndarray
    sublinear: bool
    dtype: object


_readings: "weakref.WeakKeyDictionary[TfidfVectorizer, _Reading]" = weakref.WeakKeyDictionary()


def _reading(vectorizer: TfidfVectorizer) -> _Reading:
    if vectorizer not in _readings:
        if vectorizer.binary or not vectorizer.use_idf or vectorizer.norm != "l2":
            raise ValueError("this vectorizer is not one features() makes; _block reads only those")
        _readings[vectorizer] = _Reading(
            vectorizer.build_analyzer(),
            vectorizer.vocabulary_,
            np.asarray(vectorizer.idf_),
            vectorizer.sublinear_tf,
            vectorizer.dtype,
        )
    return _readings[vectorizer]


def _block(reading: _Reading, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The texts' TF-IDF rows as a CSR matrix's arrays (values, columns, each row's number), by transform's
    arithmetic step for step: counts in the vectorizer's dtype, log(tf) + 1, times idf, then each row
    divided by its L2 norm, its squares summed one after another in double."""
    columns: list[int] = []
    counts: list[int] = []
    sizes = []
    for text in texts:
        found = Counter(map(reading.vocabulary.get, reading.analyze(text)))
        found.pop(None, None)  # words the vocabulary does not know
        columns += found.keys()
        counts += found.values()
        sizes.append(len(found))
    rows = np.repeat(np.arange(len(texts)), sizes)
    order = np.lexsort((columns, rows))  # each row's columns in order, as transform sorts them
    columns = np.asarray(columns, dtype=np.intp)[order]
    values = np.asarray(counts, dtype=reading.dtype)[order]
    if reading.sublinear:
        np.log(values, values)
        values += 1.0
    values *= reading.idf[columns]
    lengths = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts)))
    return (values / lengths[rows]).astype(reading.dtype), columns, rows


def _rows(union, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The union's features of the texts as a CSR matrix's three arrays (values, columns, row ends), each
    row's columns in the union's order, as scikit-learn stacks them."""
    values, columns, rows = [], [], []
    offset = 0
    for _, vectorizer in union.transformer_list:
        reading = _reading(vectorizer)
        block_values, block_columns, block_rows = _block(reading, texts)
        values.append(block_values)
        columns.append(block_columns + offset)
        rows.append(block_rows)
        offset += len(reading.vocabulary)
    rows_in_order = np.concatenate(rows)
    order = np.argsort(rows_in_order, kind="stable")  # row by row, each row's blocks one after another
    ends = np.concatenate([[0], np.cumsum(np.bincount(rows_in_order, minlength=len(texts)))])
    return np.concatenate(values)[order], np.concatenate(columns)[order], ends


def _scores(coef: np.ndarray, values: np.ndarray, columns: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Each text's score for each class: its values times the coefficients of its columns, summed one after
    another in the coefficients' dtype (a running sum, as SciPy's sparse product adds them)."""
    products = coef[:, columns] * values
    scores = np.zeros((len(ends) - 1, len(coef)), dtype=products.dtype)
    for row, (start, end) in enumerate(itertools.pairwise(ends)):
        if end > start:
            scores[row] = np.cumsum(products[:, start:end], axis=1)[:, -1]
    return scores


def _probabilities(model, texts: list[str]):
    """What the pipeline's predict_proba answers, computed from its fitted parts. A router decision is one
    text (an API message is read alone), and scikit-learn's and SciPy's work around each call (input checks,
    copies of parameters, `idf_` rebuilt on each access, a transposed copy of the coefficients for each
    product) cost ten times the arithmetic: 1.23 ms against 0.13 ms a text on this machine, the same for
    a batch of 500. A test holds this to scikit-learn's answer."""
    union, calibrated = model.steps[0][1], model.steps[-1][1]
    values, columns, ends = _rows(union, texts)
    total = np.zeros((len(texts), len(calibrated.classes_)))
    for part in calibrated.calibrated_classifiers_:
        svm = getattr(part.estimator, "estimator", part.estimator)  # inside a FrozenEstimator, or not
        scores = _scores(svm.coef_, values, columns, ends) + svm.intercept_
        proba = np.column_stack(
            [1.0 / (1.0 + np.exp(c.a_ * scores[:, k] + c.b_)) for k, c in enumerate(part.calibrators)]
        )
        if len(calibrated.classes_) == 2:  # one score and one calibrator, for the second class, as sklearn
            proba = np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
        sums = proba.sum(axis=1, keepdims=True)
        total += np.divide(proba, sums, out=np.full_like(proba, 1 / proba.shape[1]), where=sums != 0)
    return total / len(calibrated.calibrated_classifiers_)


def predict(model, texts: list[str]) -> list[list[tuple[str, float]]]:
    """For each text, every topic with its probability, most likely first."""
    probabilities = _probabilities(model, texts)
    classes = model.classes_
    ranked = np.argsort(-probabilities, axis=1)
    return [
        [(str(classes[j]), float(row[j])) for j in order]
        for row, order in zip(probabilities, ranked, strict=True)
    ]


@dataclass
class Evaluation:
    count: int
    top1: float
    top3: float
    labels: list[str]
    confusion: list[list[int]]  # rows: true label, columns: predicted, in `labels` order
    bins: list[dict]  # reliability: per confidence bin, how many, mean confidence, accuracy
    ece: float  # expected calibration error: the bins' |accuracy - confidence| weighted by size
    unknown_labels: list[str]
    seconds: float

    def as_dict(self) -> dict:
        return {
            "count": self.count,
            "top1": round(self.top1, 4),
            "top3": round(self.top3, 4),
            "ece": round(self.ece, 4),
            "labels": self.labels,
            "confusion": self.confusion,
            "bins": self.bins,
            "unknown_labels": self.unknown_labels,
        }


def evaluate(model, texts: list[str], labels: list[str], n_bins: int = 10) -> Evaluation:
    started = time.perf_counter()
    known = set(model.classes_)
    unknown = sorted(set(labels) - known)
    ranked = predict(model, texts)
    top1 = [r[0][0] == label for r, label in zip(ranked, labels, strict=True)]
    top3 = [label in {topic for topic, _ in r[:3]} for r, label in zip(ranked, labels, strict=True)]
    order = sorted(known | set(labels))
    index = {label: i for i, label in enumerate(order)}
    confusion = [[0] * len(order) for _ in order]
    for r, label in zip(ranked, labels, strict=True):
        confusion[index[label]][index[r[0][0]]] += 1
    confidences = np.array([r[0][1] for r in ranked])
    correct = np.array(top1, dtype=float)
    bins, ece = [], 0.0
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    for low, high in itertools.pairwise(edges):
        inside = (confidences > low) & (confidences <= high) if low > 0 else (confidences <= high)
        n = int(inside.sum())
        if not n:
            continue
        mean_conf, accuracy = float(confidences[inside].mean()), float(correct[inside].mean())
        ece += n / len(texts) * abs(accuracy - mean_conf)
        bins.append(
            {
                "range": f"{low:.1f}-{high:.1f}",
                "count": n,
                "confidence": round(mean_conf, 3),
                "accuracy": round(accuracy, 3),
            }
        )
    return Evaluation(
        count=len(texts),
        top1=float(np.mean(top1)) if texts else 0.0,
        top3=float(np.mean(top3)) if texts else 0.0,
        labels=order,
        confusion=confusion,
        bins=bins,
        ece=ece,
        unknown_labels=unknown,
        seconds=time.perf_counter() - started,
    )


def format_report(result: Evaluation, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"cases: {result.count}")
    lines.append(f"top-1 accuracy: {result.top1:.1%}")
    lines.append(f"top-3 accuracy: {result.top3:.1%}")
    lines.append(f"expected calibration error: {result.ece:.3f}")
    if result.unknown_labels:
        lines.append(f"labels the model has never seen (always wrong): {', '.join(result.unknown_labels)}")
    lines.append("")
    lines.append("reliability (confidence bin: cases, mean confidence, accuracy):")
    for b in result.bins:
        lines.append(f"  {b['range']}: {b['count']:>6}  {b['confidence']:.3f}  {b['accuracy']:.3f}")
    lines.append("")
    lines.append("confusion matrix (rows: true topic, columns: predicted):")
    short = [label[:6] for label in result.labels]
    width = max(len(label) for label in result.labels)
    lines.append(" " * (width + 2) + " ".join(f"{s:>6}" for s in short))
    for label, row in zip(result.labels, result.confusion, strict=True):
        lines.append(f"{label:<{width}}  " + " ".join(f"{n:>6}" for n in row))
    return "\n".join(lines)
