# Training succeeds: prints a line, writes a file into its working directory, returns a plain object.
def train(df, training_config=None):
    print("training on", len(df), "rows")
    with open("artifact.txt", "w") as handle:
        handle.write("kept with the version")
    return {"rows": len(df), "total": float(df["x"].sum())}


def predict(model, query):
    return {"total": model["total"] * query.get("scale", 1)}
