# train prints about 4 MB of numbered lines, then a last marker line, then returns.
def train(df, training_config=None):
    for number in range(100_000):
        print(f"line {number:06d} " + "." * 30)
    print("the last line")
    return {}


def predict(model, query):
    return 0
