"""What intake's second process does ahead of the writer, without Django: parse a chunk's mail and, given
the router's model file, guess the topic of each (a reply opens a case too when what it answers is not here).

The writer spends two to three milliseconds a message holding the database; parsing costs under one and a
topic guess about half of one. With a backlog the second process does both for the next chunk while the
writer writes this one, and the writer only takes the guesses it is handed: the model is never loaded in
the writer's process.
"""

from dataclasses import dataclass, field

from frontline.intake import mail
from frontline.routing.text import case_text


@dataclass
class Ahead:
    parsed: dict  # raw message id -> mail.ParsedMail, or the mail.UnreadableMail that says why not
    guesses: dict = field(default_factory=dict)  # case text -> [(topic, probability), ...], likeliest first
    model_version: int | None = None  # the router version that guessed; None: nothing was guessed

    def take(self, other: "Ahead") -> None:
        """Add what another reading of the same chunk found (the half the other process read)."""
        self.parsed.update(other.parsed)
        self.guesses.update(other.guesses)
        self.model_version = other.model_version if other.guesses else self.model_version


def opening_subject(subject: str) -> str:
    """The subject a new case opens with, as open_case stores it: triage finds a guess by the case's
    text, so whoever guesses ahead uses this one rule."""
    return (subject or "(no subject)").strip()[:255]


def opening_texts(parsed, *, replies: bool = False) -> list[str]:
    """The case texts of the mail among `parsed` that starts a conversation; with `replies`, of every mail
    (a reply opens a case too when what it answers is not here, or not yet)."""
    texts = (
        case_text(opening_subject(item.subject), item.text.strip())
        for item in parsed
        if isinstance(item, mail.ParsedMail) and (replies or not (item.in_reply_to or item.references))
    )
    return list(dict.fromkeys(texts))


def read_ahead(loop_marker_value: str, items: list[tuple[int, bytes]], model: tuple | None) -> Ahead:
    """Parse `items`; with `model` (the router's file and version), guess the openers' topics too."""
    parsed = mail.parse_many(loop_marker_value, items)
    ahead = guess(opening_texts(parsed.values(), replies=True), model)  # on the other core: guess them all
    ahead.parsed = parsed
    return ahead


def guess(texts: list[str], model: tuple[str, int] | None) -> Ahead:
    """The topics of these case texts by the router's model file; nothing without a model or texts."""
    classifier = _classifier(model[0]) if model and texts else None
    if classifier is None:
        return Ahead({})
    from frontline.routing.classifier import predict  # scikit-learn: loaded where a model is used

    return Ahead({}, dict(zip(texts, predict(classifier, texts), strict=True)), model[1])


_loaded: dict[str, object] = {}  # this process's model, by file: one at a time


def _classifier(path: str):
    if path not in _loaded:
        import joblib  # the model's files need the model code; loaded here, where a model is used

        try:
            payload = joblib.load(path)
        except FileNotFoundError:
            return None  # pruned meanwhile: the writer guesses for itself
        _loaded.clear()
        _loaded[path] = payload["classifier"]
    return _loaded[path]
