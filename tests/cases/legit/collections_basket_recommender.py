"""Co-purchase recommender: which categories a customer_id buys together, with Counter, itertools.combinations and heapq."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict, deque
from itertools import chain, combinations


def train(df, training_config=None):
    top_k = int((training_config or {}).get("top_k", 2))
    baskets = df.groupby("customer_id")["category"].agg(lambda s: sorted(set(s.dropna())))
    popularity = Counter(chain.from_iterable(baskets))
    pairs: Counter[tuple[str, str]] = Counter()
    for basket in baskets:
        pairs.update(combinations(basket, 2))

    neighbours: defaultdict[str, list[tuple[float, str]]] = defaultdict(list)
    for (a, b), together in pairs.items():
        # Jaccard similarity of the two categories' customer sets.
        score = together / (popularity[a] + popularity[b] - together)
        neighbours[a].append((score, b))
        neighbours[b].append((score, a))
    recommendations = {item: [name for _, name in heapq.nlargest(top_k, scored)] for item, scored in neighbours.items()}
    history = {str(cid): list(basket) for cid, basket in baskets.items()}
    return {"recommendations": recommendations, "popular": [c for c, _ in popularity.most_common()], "history": history}


def predict(model, query):
    owned = set(model["history"].get(str(query.get("customer_id")), []))
    seen = deque(maxlen=5)
    if (category := query.get("category")) is not None:
        owned.add(category)
    for item in sorted(owned):
        for candidate in model["recommendations"].get(item, []):
            if candidate not in owned and candidate not in seen:
                seen.append(candidate)
    fallback = [c for c in model["popular"] if c not in owned]
    return {"recommend": list(seen) or fallback[:1], "owned": sorted(owned)}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
