"""The `pymodel` command line. Commands call the same services as the HTTP API and hold no logic of their own."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from runtime import local_server
from runtime.config import Settings, default_data_dir
from runtime.context import Context, open_context
from runtime.errors import RuntimeApiError
from runtime.findings_format import CheckFormat, FileReport, render
from runtime.scheduler import TrainingScheduler
from runtime.services.deployments import DeploymentService
from runtime.services.keys import KeyService
from runtime.services.models import ModelService
from runtime.services.projects import ProjectService
from runtime.services.tables import TableService
from sandbox.contract import FunctionNames, optional_roles_defined

app = typer.Typer(help="pymodel: train, deploy and serve Python models locally.", no_args_is_help=True)
tables_app = typer.Typer(help="Input tables (feature groups).", no_args_is_help=True)
models_app = typer.Typer(help="Python models and their versions.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for the HTTP API.", no_args_is_help=True)
app.add_typer(tables_app, name="tables")
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")

# soft_wrap: messages piped to a file or another program keep their lines whole (rich wraps at 80 otherwise)
# Piped output keeps tables at their natural width, so that ids are never cut for scripts.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 1000)
err = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[Path, typer.Option("--data-dir", envvar="PYMODEL_DATA_DIR", help="Where pymodel keeps its data.")]
DEFAULT_PROJECT = "default"


def _ctx(data_dir: Path) -> Context:
    return open_context(Settings(data_dir=data_dir))


def _fail(exc: RuntimeApiError) -> typer.Exit:
    err.print(f"[red]error[/red] ({exc.error_type}): {escape(exc.message)}", highlight=False)
    return typer.Exit(1)


def _default_project(ctx: Context) -> str:
    projects = ProjectService(ctx)
    for project in projects.list_all(limit=10_000):
        if project["name"] == DEFAULT_PROJECT:
            return str(project["projectId"])
    return str(projects.create(DEFAULT_PROJECT, "PYTHON_MODEL")["projectId"])


def _parse_config(pairs: list[str] | None) -> dict[str, Any] | None:
    if not pairs:
        return None
    config: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--config takes key=value (got {pair!r})")
        try:
            config[key] = json.loads(raw)
        except ValueError:
            config[key] = raw
    return config


PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="A TOML policy file: [imports] allow = [...], deny = [...].")
]
AllowOpt = Annotated[list[str] | None, typer.Option("--allow-module", help="Also allow importing this module.")]
DenyOpt = Annotated[list[str] | None, typer.Option("--deny-module", help="Refuse this module, default or not.")]


def _allowlist(policy: Path | None, allow: list[str] | None, deny: list[str] | None) -> frozenset[str]:
    from sandbox.validate.allowlist import AllowlistError, build_allowlist

    try:
        return build_allowlist(policy, allow or (), deny or ())
    except AllowlistError as exc:
        err.print(f"[red]error[/red]: {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from exc


# -- serve -------------------------------------------------------------------------------------------------


@app.command()
def serve(
    data_dir: DataDir = default_data_dir(),
    host: Annotated[str, typer.Option(help="Address to bind; loopback by default.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    executor: Annotated[str, typer.Option(help="Sandbox executor: process.")] = "process",
    train_timeout: Annotated[float, typer.Option(help="Wall-clock limit of one training, seconds.")] = 3600.0,
    predict_timeout: Annotated[float, typer.Option(help="Limit of one predict call, seconds.")] = 60.0,
    max_concurrent_trainings: Annotated[int, typer.Option(help="Trainings that may run at once.")] = 2,
    log_level: Annotated[str, typer.Option(help="Server log level.")] = "info",
    policy: PolicyOpt = None,
    allow_module: AllowOpt = None,
    deny_module: DenyOpt = None,
) -> None:
    """Run the HTTP API (Abacus.AI wire-compatible) with its training queue and warm predictors."""

    import uvicorn

    from runtime.api.app import create_app

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings(
        data_dir=data_dir,
        executor=executor,
        train_timeout=train_timeout,
        predict_timeout=predict_timeout,
        max_concurrent_trainings=max_concurrent_trainings,
        allowed_modules=_allowlist(policy, allow_module, deny_module),
    )
    try:
        ctx = open_context(settings)
    except ValueError as exc:
        err.print(f"[red]error[/red]: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    other = local_server.running_server(data_dir)
    if other is not None:
        err.print(f"[red]error[/red]: {data_dir} is already served at {other.url} (pid {other.pid}); stop it first")
        raise typer.Exit(2)
    if local_server.admin_key_file(data_dir) is None:  # the CLI's own key, whatever keys clients use
        key_path = local_server.write_admin_key(data_dir, KeyService(ctx).create("cli"))
        err.print(f"created an API key for this data dir: {key_path} (readable by you only)")
    url = f"http://{host}:{port}"
    local_server.write_server_info(data_dir, url)
    err.print(f"pymodel serving {data_dir} at {url} (executor: {executor})")
    try:
        uvicorn.run(create_app(ctx), host=host, port=port, log_level=log_level.lower(), access_log=False)
    finally:
        local_server.clear_server_info(data_dir)


# -- check -------------------------------------------------------------------------------------------------


def _model_files(paths: list[Path]) -> list[Path]:
    """The files named, and every *.py under the directories named, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.py") if p.is_file())
            if not found:
                err.print(f"{path}: no .py files in this directory")
                raise typer.Exit(2)
            files += found
        elif path.is_file():
            files.append(path)
        else:
            err.print(f"{path}: no such file or directory")
            raise typer.Exit(2)
    return files


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="Model sources, or directories to search for *.py.")],
    tables: Annotated[int, typer.Option(min=0, help="How many input tables train receives.")] = 1,
    train_function: Annotated[str, typer.Option(help="Name of the train function.")] = "train",
    predict_function: Annotated[str, typer.Option(help="Name of the predict function.")] = "predict",
    predict_many_function: Annotated[str | None, typer.Option(help="Name of the predict_many function.")] = None,
    initialize_function: Annotated[str | None, typer.Option(help="Name of the initialize function.")] = None,
    requirements: Annotated[
        list[str] | None, typer.Option("--requirements", "--requirement", "-r", help="A package requirement.")
    ] = None,
    output_format: Annotated[
        CheckFormat, typer.Option("--format", help="text (FILE:LINE:COL: message), json, or github annotations.")
    ] = CheckFormat.text,
    policy: PolicyOpt = None,
    allow_module: AllowOpt = None,
    deny_module: DenyOpt = None,
) -> None:
    """Validate model sources without running them. Exit 0 when all are valid, 1 when any is not, 2 on misuse.

    A file's top-level `predict_many` and `initialize` are checked as those roles unless other names are given."""
    from sandbox.validate import RequirementError, parse_requirements, requirement_import_names
    from sandbox.validate.isolated import IsolatedValidator, ValidatorUnavailable

    allowed = _allowlist(policy, allow_module, deny_module)
    files = _model_files(paths)
    try:
        extra = requirement_import_names(parse_requirements(requirements or []))
    except RequirementError as exc:
        err.print(f"error: {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    validator = IsolatedValidator()
    results: list[FileReport] = []
    try:
        for file in files:
            try:
                source = file.read_bytes()
            except OSError as exc:
                err.print(f"{file}: cannot read: {exc.strerror}")
                raise typer.Exit(2) from exc
            found = optional_roles_defined(source.decode("utf-8", errors="replace"))
            functions = FunctionNames(
                train_function,
                predict_function,
                predict_many_function or found.predict_many,
                initialize_function or found.initialize,
            )
            report = validator.validate(
                source, functions=functions, n_tables=tables, allowed_modules=allowed, extra_modules=extra
            )
            results.append(FileReport(str(file), report))
    except ValidatorUnavailable as exc:
        err.print(f"error: the validator could not run: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    finally:
        validator.close()
    rendered = render(results, output_format)
    if rendered:
        print(rendered)
    if not all(result.report.ok for result in results):
        raise typer.Exit(1)


# -- keys --------------------------------------------------------------------------------------------------


@keys_app.command("create")
def keys_create(
    data_dir: DataDir = default_data_dir(),
    name: Annotated[str | None, typer.Option(help="A label for the key.")] = None,
) -> None:
    """Create an API key and print it (it is stored hashed and shown only now)."""
    print(KeyService(_ctx(data_dir)).create(name))


# -- tables ------------------------------------------------------------------------------------------------


@tables_app.command("add")
def tables_add(
    name: Annotated[str, typer.Argument(help="Table name (letters, digits, underscores).")],
    file: Annotated[Path, typer.Argument(help="A CSV, TSV, Parquet or Arrow/Feather file.")],
    data_dir: DataDir = default_data_dir(),
    file_format: Annotated[str | None, typer.Option("--format", help="CSV, TSV, PARQUET or ARROW.")] = None,
) -> None:
    """Add a table, or a new version of it, from a file."""
    try:
        fg = TableService(_ctx(data_dir)).add_file(name, file, file_format)
    except RuntimeApiError as exc:
        raise _fail(exc) from exc
    latest = fg["latestFeatureGroupVersion"]
    console.print(
        f"table [bold]{fg['tableName']}[/bold] version {latest['featureGroupVersion']}: "
        f"{latest['rowCount']} rows, {len(latest['features'])} columns"
    )


@tables_app.command("list")
def tables_list(data_dir: DataDir = default_data_dir()) -> None:
    """List tables with their latest version."""
    table = Table("table", "feature group", "latest version", "rows", "columns", "created")
    for fg in TableService(_ctx(data_dir)).list_all(limit=10_000):
        latest = fg["latestFeatureGroupVersion"] or {}
        table.add_row(
            fg["tableName"],
            fg["featureGroupId"],
            latest.get("featureGroupVersion", "-"),
            str(latest.get("rowCount", "-")),
            str(len(fg["features"])),
            fg["createdAt"],
        )
    console.print(table)


# -- models ------------------------------------------------------------------------------------------------


def _wait_for_version(ctx: Context, version_id: str) -> dict[str, Any]:
    """Train in this process when no server owns the data dir; otherwise follow the server's progress."""
    models = ModelService(ctx)
    server = local_server.running_server(ctx.settings.data_dir)
    with console.status(f"training model version {version_id}…") as status:
        if server is None:
            TrainingScheduler(ctx, concurrency=1).run_one(version_id)
        while True:
            version = models.describe_version(version_id)
            if version["partialComplete"]:
                return version
            status.update(f"model version {version_id} is {version['status']}…")
            time.sleep(0.5)


def _print_version(version: dict[str, Any]) -> None:
    usage = version.get("resourceUsage") or {}
    asked = version.get("requestedResources") or {}
    colour = "green" if version["status"] == "COMPLETE" else "red"
    console.print(f"model version {version['modelVersion']}: [{colour}]{version['status']}[/{colour}]")
    if version.get("error"):
        console.print(f"  error: {escape(version['error'])}", highlight=False)
    if asked:
        cpus, wanted = asked.get("cpus"), asked.get("cpusAsked")
        capped = f", {wanted:g} asked: this node has {cpus:g}" if wanted and cpus and wanted > cpus else ""
        console.print(
            f"  asked for: {cpus:g} CPU ({asked.get('cpuSize')}{capped}), {asked.get('memoryGb')} GB memory, "
            f"timeout {asked.get('timeoutSeconds'):g} s"
        )
    if usage:
        peak = usage.get("peakMemoryBytes")
        cpu = usage.get("cpuSeconds")
        wall = usage.get("wallSeconds")
        console.print(
            "  used: "
            + ", ".join(
                [
                    f"peak memory {peak / 2**20:.0f} MiB" if peak is not None else "peak memory unknown",
                    f"{cpu:.2f} CPU s" if cpu is not None else "CPU time unknown",
                    f"{wall:.2f} s wall" if wall is not None else "wall time unknown",
                ]
            )
        )


def _revision_options(
    file: Path | None,
    table: list[str] | None,
    cpu_size: str | None,
    memory: int | None,
    config: list[str] | None,
    requirement: list[str] | None,
    predict_function: str | None,
    predict_many_function: str | None,
    initialize_function: str | None,
    train_function: str | None,
) -> dict[str, Any]:
    return {
        "functionSourceCode": file.read_text() if file else None,
        "trainingInputTables": table or None,
        "cpuSize": cpu_size,
        "memory": memory,
        "trainingConfig": _parse_config(config),
        "packageRequirements": requirement or None,
        "trainFunctionName": train_function,
        "predictFunctionName": predict_function,
        "predictManyFunctionName": predict_many_function,
        "initializeFunctionName": initialize_function,
    }


TableOpt = Annotated[list[str] | None, typer.Option("--table", "-t", help="An input table, in train's order.")]
CpuOpt = Annotated[str | None, typer.Option("--cpu-size", help="small, medium or large.")]
MemOpt = Annotated[int | None, typer.Option("--memory", help="Memory limit in GB.")]
ConfigOpt = Annotated[list[str] | None, typer.Option("--config", help="trainingConfig entry key=value.")]
ReqOpt = Annotated[list[str] | None, typer.Option("--requirement", "-r", help="A package requirement.")]
FnOpt = Annotated[str | None, typer.Option(help="Function name.")]


@models_app.command("create")
def models_create(
    file: Annotated[Path, typer.Argument(help="The model's Python source.")],
    table: TableOpt = None,
    data_dir: DataDir = default_data_dir(),
    name: Annotated[str | None, typer.Option(help="Model name.")] = None,
    cpu_size: CpuOpt = None,
    memory: MemOpt = None,
    config: ConfigOpt = None,
    requirement: ReqOpt = None,
    train_function: Annotated[str, typer.Option(help="Function name.")] = "train",
    predict_function: Annotated[str, typer.Option(help="Function name.")] = "predict",
    predict_many_function: FnOpt = None,
    initialize_function: FnOpt = None,
    wait: Annotated[bool, typer.Option(help="Wait for the first training.")] = True,
) -> None:
    """Create a Python model from a file and train it. `predict_many` and `initialize` are used when the file
    defines them at top level, unless other names are given."""
    ctx = _ctx(data_dir)
    models = ModelService(ctx)
    found = optional_roles_defined(file.read_text(encoding="utf-8", errors="replace"))
    predict_many_function = predict_many_function or found.predict_many
    initialize_function = initialize_function or found.initialize
    for role, found_name in (("predict_many", found.predict_many), ("initialize", found.initialize)):
        if found_name and found_name in (predict_many_function, initialize_function):
            err.print(f"using {found_name}() from {file} as {role}", highlight=False)
    options = _revision_options(
        file,
        table or [],
        cpu_size,
        memory,
        config,
        requirement,
        predict_function,
        predict_many_function,
        initialize_function,
        train_function,
    )
    try:
        model = models.create_from_python(_default_project(ctx), name, **options)
    except RuntimeApiError as exc:
        raise _fail(exc) from exc
    console.print(f"model [bold]{model['modelId']}[/bold] created")
    if not wait and local_server.running_server(data_dir) is None:
        err.print("no server runs on this data dir: the first training starts with `pymodel serve`")
    if wait:
        version = _wait_for_version(ctx, model["latestModelVersion"]["modelVersion"])
        _print_version(version)
        if version["status"] != "COMPLETE":
            raise typer.Exit(1)


@models_app.command("update")
def models_update(
    model_id: Annotated[str, typer.Argument(help="The model to change.")],
    file: Annotated[Path | None, typer.Option("--file", "-f", help="New source.")] = None,
    table: TableOpt = None,
    data_dir: DataDir = default_data_dir(),
    cpu_size: CpuOpt = None,
    memory: MemOpt = None,
    config: ConfigOpt = None,
    requirement: ReqOpt = None,
    train_function: FnOpt = None,
    predict_function: FnOpt = None,
    predict_many_function: FnOpt = None,
    initialize_function: FnOpt = None,
) -> None:
    """Change a model's code or settings (validated, atomic, never trains)."""
    options = _revision_options(
        file,
        table,
        cpu_size,
        memory,
        config,
        requirement,
        predict_function,
        predict_many_function,
        initialize_function,
        train_function,
    )
    try:
        model = ModelService(_ctx(data_dir)).update_python_model(model_id, **options)
    except RuntimeApiError as exc:
        raise _fail(exc) from exc
    console.print(f"model {model['modelId']} updated; training required: {model['trainingRequired']}")


@models_app.command("train")
def models_train(
    model_id: Annotated[str, typer.Argument(help="The model to train.")],
    data_dir: DataDir = default_data_dir(),
    wait: Annotated[bool, typer.Option(help="Wait for the training.")] = True,
) -> None:
    """Train the model's current code on the current version of its tables."""
    ctx = _ctx(data_dir)
    try:
        model = ModelService(ctx).retrain(model_id)
    except RuntimeApiError as exc:
        raise _fail(exc) from exc
    version_id = model["latestModelVersion"]["modelVersion"]
    console.print(f"model version {version_id} queued")
    if wait:
        version = _wait_for_version(ctx, version_id)
        _print_version(version)
        if version["status"] != "COMPLETE":
            raise typer.Exit(1)


@models_app.command("list")
def models_list(data_dir: DataDir = default_data_dir()) -> None:
    """List models of every project."""
    ctx = _ctx(data_dir)
    table = Table("model", "name", "project", "tables", "latest version", "status", "training required")
    for project in ProjectService(ctx).list_all(limit=10_000):
        for model in ModelService(ctx).list_all(project["projectId"]):
            latest = model["latestModelVersion"] or {}
            table.add_row(
                model["modelId"],
                model["name"],
                project["name"],
                ", ".join(model["trainingInputTables"]),
                latest.get("modelVersion", "-"),
                latest.get("status", "-"),
                str(model["trainingRequired"]),
            )
    console.print(table)


@models_app.command("show")
def models_show(
    model_id: Annotated[str, typer.Argument(help="A model id.")],
    data_dir: DataDir = default_data_dir(),
) -> None:
    """A model, its settings and its versions with the resources each asked for and used."""
    models = ModelService(_ctx(data_dir))
    try:
        model = models.describe(model_id)
        versions = models.list_versions(model_id)
    except RuntimeApiError as exc:
        raise _fail(exc) from exc
    console.print(f"[bold]{escape(model['name'])}[/bold] ({model['modelId']}), project {model['projectId']}")
    console.print(
        f"  tables: {', '.join(model['trainingInputTables'])}; cpuSize {model['cpuSize']}; "
        f"memory {model['memory']} GB; "
        f"training required: {model['trainingRequired']}"
    )
    for warning in (model["codeSource"]["publishingMsg"] or {}).get("warnings", []):
        console.print(f"  [yellow]warning[/yellow]: {escape(warning)}", highlight=False)
    for version in versions:
        _print_version(version)


@models_app.command("logs")
def models_logs(
    model_version: Annotated[str, typer.Argument(help="A model version id.")],
    data_dir: DataDir = default_data_dir(),
) -> None:
    """Print a version's training stdout and stderr."""
    try:
        logs = ModelService(_ctx(data_dir)).training_logs(model_version)
    except RuntimeApiError as exc:
        raise _fail(exc) from exc
    sys.stdout.write(logs["stdout"] or "")
    if logs["stderr"]:
        sys.stderr.write(logs["stderr"])


# -- serving -----------------------------------------------------------------------------------------------


@app.command()
def deploy(
    model_id: Annotated[str, typer.Argument(help="The model to deploy.")],
    data_dir: DataDir = default_data_dir(),
    version: Annotated[str | None, typer.Option(help="A model version; default: the latest complete one.")] = None,
    name: Annotated[str | None, typer.Option(help="Deployment name.")] = None,
) -> None:
    """Deploy a model version; the running server starts its warm worker."""
    ctx = _ctx(data_dir)
    try:
        if local_server.running_server(data_dir) is not None:
            deployment = local_server.call_server(
                data_dir,
                "createDeployment",
                "POST",
                {"modelId": model_id, "modelVersion": version, "name": name},
            )
            while deployment["status"] in ("PENDING", "DEPLOYING"):
                time.sleep(0.3)
                deployment = local_server.call_server(
                    data_dir, "describeDeployment", "GET", query=f"deploymentId={deployment['deploymentId']}"
                )
        else:
            deployment = DeploymentService(ctx).create(model_id=model_id, model_version=version, name=name)
            err.print("no server runs on this data dir: the deployment starts with `pymodel serve`")
        token = DeploymentService(ctx).create_token(deployment["projectId"], "cli")
    except RuntimeApiError as exc:
        raise _fail(exc) from exc
    console.print(
        f"deployment [bold]{deployment['deploymentId']}[/bold] of version {deployment['modelVersion']}: "
        f"{deployment['status']}{' - ' + escape(deployment['error']) if deployment['error'] else ''}"
    )
    console.print(f"deployment token: {token['deploymentToken']}")
    if deployment["status"] == "FAILED":
        raise typer.Exit(1)


@app.command()
def predict(
    deployment_id: Annotated[str, typer.Argument(help="The deployment.")],
    query: Annotated[str, typer.Argument(help="A JSON object (or a JSON list of objects for several).")],
    data_dir: DataDir = default_data_dir(),
) -> None:
    """Ask a running deployment for a prediction; prints the JSON answer."""
    try:
        payload = json.loads(query)
    except ValueError as exc:
        raise typer.BadParameter(f"the query must be JSON: {exc}") from exc
    method = "predictMultiple" if isinstance(payload, list) else "predict"
    try:
        result = local_server.call_server(
            data_dir, method, "POST", {"queryData": payload}, query=f"deploymentId={deployment_id}"
        )
    except RuntimeApiError as exc:
        raise _fail(exc) from exc
    print(json.dumps(result))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
