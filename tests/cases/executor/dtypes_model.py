# train describes every frame it got (dtypes, index, exact values) in describe.json in its working
# directory, so the host can check the hand-off without unpickling anything.
import json
from decimal import Decimal


def _value(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return "Decimal:" + str(value)
    text = repr(value)
    return text


def train(*frames, training_config=None):
    report = []
    for frame in frames:
        report.append({
            "dtypes": {str(name): str(dtype) for name, dtype in frame.dtypes.items()},
            "index": {"name": frame.index.name, "dtype": str(frame.index.dtype)},
            "columns": [str(name) for name in frame.columns],
            "rows": len(frame),
            "values": {str(name): [_value(v) for v in frame[name].tolist()] for name in frame.columns},
            "index_values": [_value(v) for v in frame.index.tolist()],
        })
    with open("describe.json", "w") as handle:
        json.dump(report, handle)
    return {"frames": len(frames)}


def predict(model, query):
    return model
