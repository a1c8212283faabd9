"""The words of a case the router reads, kept apart from the model code so that reading them loads no
model library."""

# Enough for the words of a case's opening; the rest of a long mail is rarely about something else.
MAX_CHARS = 2000


def case_text(subject: str, body: str) -> str:
    return f"{subject}\n{body}"[:MAX_CHARS]
