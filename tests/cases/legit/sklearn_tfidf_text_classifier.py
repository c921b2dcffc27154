"""Review sentiment: TF-IDF of the text column with a regex tokenizer and logistic regression predicting label."""

from __future__ import annotations

import re
import string
import textwrap

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
STOPWORDS = frozenset({"the", "a", "an", "and", "or", "it", "is", "was", "to", "of"})
NEGATIONS = {"not", "no", "never"}


def tokenize(text: str) -> list[str]:
    """Lower-cased words without punctuation and stop words; `not good` becomes `not_good`."""
    words = [w for w in TOKEN.findall(text.lower().translate(str.maketrans("", "", string.digits))) if w not in STOPWORDS]
    out: list[str] = []
    negate = False
    for word in words:
        if word in NEGATIONS:
            negate = True
            continue
        out.append(f"not_{word}" if negate else word)
        negate = False
    return out


def train(df, training_config=None):
    texts = df["text"].fillna("").astype(str)
    pipe = Pipeline(
        [
            ("tfidf", TfidfVectorizer(tokenizer=tokenize, token_pattern=None, ngram_range=(1, 2), min_df=1)),
            ("clf", LogisticRegression(C=5.0, max_iter=500)),
        ]
    ).fit(texts, df["label"].astype(int))
    vocab = pipe.named_steps["tfidf"].get_feature_names_out()
    coef = pipe.named_steps["clf"].coef_[0]
    top = ", ".join(vocab[np.argsort(coef)[-5:]][::-1])
    print(textwrap.fill(f"most positive terms: {top}", width=72))
    return pipe


def _explain(model, text: str, k: int = 3) -> list[str]:
    vocab = model.named_steps["tfidf"].vocabulary_
    weights = model.named_steps["clf"].coef_[0]
    scored = [(weights[vocab[t]], t) for t in set(tokenize(text)) if t in vocab]
    return [t for _, t in sorted(scored, reverse=True)[:k]]


def predict(model, query):
    text = str(query.get("text", ""))
    p = float(model.predict_proba([text])[0, 1])
    return {"positive": p, "summary": textwrap.shorten(text, width=40, placeholder="..."), "why": _explain(model, text)}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
