"""Reports what train received (dtypes, values, index) so tests can check the table hand-off end to end."""

import pandas as pd


def _describe(df):
    return {
        "columns": [str(c) for c in df.columns],
        "dtypes": {str(c): str(t) for c, t in df.dtypes.items()},
        "rows": int(len(df)),
        "values": {str(c): [repr(v) for v in df[c].tolist()] for c in df.columns},
        "index_is_range": isinstance(df.index, pd.RangeIndex),
        "index_name": df.index.name,
        "index_dtype": str(df.index.dtype),
        "index_values": [repr(v) for v in df.index.tolist()],
    }


def train(df, training_config=None):
    return _describe(df)


def predict(model, query):
    return model


def predict_many(model, queries):
    return [model for _ in queries]
