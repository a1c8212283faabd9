"""The words model: where only the customer's words say that a contact is failure demand ("the invoice is
wrong again"), a classifier trained on people's corrections names the failure, when it is sure.

The router's classifier (routing/classifier.py: TF-IDF over words and character n-grams, a calibrated linear
SVM) learns here from corrected contacts, labelled by the class people gave them ("value" or the failure).
It is used only where no rule fired and only at THRESHOLD or above; a contact it classified says so
(`Contact.by_words`). Trained by `frontline measures --train`; a new model applies to contacts derived from
then on (`--rebuild` derives them all again).
"""

import pickle

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases.models import Message
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.measures import events
from frontline.measures.models import VALUE, Correction, WordsModel

THRESHOLD = 0.8
MIN_CORRECTIONS = 30
_LOADED: dict[int, object] = {}


def examples() -> tuple[list[str], list[str]]:
    """(words, label) of every corrected contact: the words as the rules see them, lower case."""
    labels = dict(Correction.objects.values_list("message_id", "failure_type"))
    # In a fixed order: the linear model's training follows the order of its examples, and a database
    # hands back unordered rows in whatever order its pages hold them (PostgreSQL's vary with what came
    # before), so the same corrections would train a different model from one run to the next.
    words = Message.objects.filter(pk__in=list(labels)).order_by("pk").values_list("pk", "body_text")
    pairs = [(text[:2000].lower(), labels[pk] or VALUE) for pk, text in words]
    return [text for text, _ in pairs], [label for _, label in pairs]


def train(*, by=None, via: str = "command") -> WordsModel:
    # The model code (scikit-learn, SciPy, NumPy: about 100 MB) loads only where a model is trained or used.
    from sklearn.model_selection import train_test_split

    from frontline.routing import classifier  # (as above)

    if by is not None:
        require(by, Capability.ASSIGN_OTHERS)
    texts, labels = examples()
    if len(texts) < MIN_CORRECTIONS:
        raise ServiceError(f"the words model needs {MIN_CORRECTIONS} corrections; there are {len(texts)}")
    try:
        accuracy = None
        if len(texts) >= 2 * MIN_CORRECTIONS:  # a quarter held out says how often it is right
            fit, held, fit_labels, held_labels = train_test_split(
                texts, labels, test_size=0.25, random_state=0, stratify=labels
            )
            trial = classifier.train(fit, fit_labels)
            guessed = [ranked[0][0] for ranked in classifier.predict(trial, held)]
            accuracy = round(sum(g == t for g, t in zip(guessed, held_labels, strict=True)) / len(held), 3)
        model = classifier.train(texts, labels)
    except ValueError as exc:  # too few of a class, or a single class
        raise ServiceError(f"the words model cannot learn from these corrections: {exc}") from exc
    saved = WordsModel.objects.create(
        trained_at=clock.now(),
        trained_by=by,
        corrections=len(texts),
        accuracy=accuracy,
        blob=pickle.dumps(model),
    )
    events.words_model_trained(model=saved, by=by, via=via)
    return saved


def current():
    """The newest words model, fitted (loaded once per process), or None."""
    newest = WordsModel.objects.order_by("-pk").values_list("pk", flat=True).first()
    if newest is None:
        return None
    if newest not in _LOADED:
        from frontline.routing import classifier  # noqa: F401 - the model code, as in train(): only here

        _LOADED.clear()
        _LOADED[newest] = pickle.loads(WordsModel.objects.get(pk=newest).blob)
    return _LOADED[newest]


def failures(model, texts: list[str]) -> list[str]:
    """For each text, the failure the model is sure of, or "" (value demand, or not sure)."""
    if not texts:
        return []
    from frontline.routing import classifier  # the model code, as in train(): only where a model is used

    named = []
    for ranked in classifier.predict(model, texts):
        label, probability = ranked[0]
        named.append(label if label != VALUE and probability >= THRESHOLD else "")
    return named
