"""Similar resolved cases: knowledge, not scripts.

An inverted index of the resolved cases' opening words (TF-IDF, cosine): a query multiplies only the
postings of the words it has, so a lookup over 100,000 cases touches a few thousand numbers, not all of them.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass
class SimilarIndex:
    vectorizer: TfidfVectorizer
    postings: object  # terms x cases, CSR: row t holds the cases that contain term t, with their weights
    case_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.case_ids)

    def query(
        self, text: str, *, limit: int = 5, exclude: frozenset[int] = frozenset()
    ) -> list[tuple[int, float]]:
        """The most similar cases as (case id, cosine similarity), best first."""
        if not len(self.case_ids):
            return []
        scores = (self.vectorizer.transform([text]) @ self.postings).toarray().ravel()
        wanted = min(limit + len(exclude), len(scores))
        top = np.argpartition(-scores, wanted - 1)[:wanted]
        top = top[np.argsort(-scores[top])]
        found = []
        for i in top:
            case_id, score = int(self.case_ids[i]), float(scores[i])
            if score <= 0 or case_id in exclude:
                continue
            found.append((case_id, score))
            if len(found) == limit:
                break
        return found


def build(case_ids: list[int], texts: list[str]) -> SimilarIndex:
    vectorizer = TfidfVectorizer(
        sublinear_tf=True,
        ngram_range=(1, 2),
        min_df=2 if len(texts) > 50 else 1,
        max_df=0.5,
        stop_words="english",
        strip_accents="unicode",
        dtype=np.float32,
    )
    matrix = vectorizer.fit_transform(texts)  # cases x terms, rows of unit length
    return SimilarIndex(vectorizer, matrix.T.tocsr(), np.asarray(case_ids, dtype=np.int64))
