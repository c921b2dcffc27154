"""A model that asks for a GPU (useGpu) and otherwise trains trivially."""


def train(df):
    return len(df)


def predict(model, query):
    return model
