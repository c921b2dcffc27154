"""The API methods: name → (HTTP methods, auth, handler). Handlers only translate parameters to service calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from runtime import __version__
from runtime.api.params import Params
from runtime.context import Context
from runtime.services.deployments import DeploymentService
from runtime.services.keys import KeyService
from runtime.services.models import REVISION_FIELDS, ModelService
from runtime.services.projects import ProjectService
from runtime.services.tables import TableService


class Services:
    """One instance of each service over the process's context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.projects = ProjectService(ctx)
        self.tables = TableService(ctx)
        self.models = ModelService(ctx)
        self.deployments = DeploymentService(ctx)
        self.keys = KeyService(ctx)


class RawJson(str):
    """A result that is already strict JSON text (made inside the sandbox); sent without re-encoding."""


Handler = Callable[[Services, Params], Any]
Auth = Literal["key", "predict", "none"]


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    handler: Handler
    auth: Auth = "key"


ROUTES: dict[str, Route] = {}


def api(name: str, *methods: str, auth: Auth = "key") -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[name] = Route(frozenset(methods), handler, auth)
        return handler

    return register


# -- service discovery -------------------------------------------------------------------------------------
# getApiEndpoint needs the address the client used; the app fills it in (see app.py).


@api("version", "GET", auth="none")
def _version(s: Services, p: Params) -> Any:
    return __version__


# -- projects ----------------------------------------------------------------------------------------------


@api("createProject", "POST")
def _create_project(s: Services, p: Params) -> Any:
    return s.projects.create(p["name"], p["useCase"])


@api("describeProject", "GET")
def _describe_project(s: Services, p: Params) -> Any:
    return s.projects.describe(p["projectId"])


@api("listProjects", "GET")
def _list_projects(s: Services, p: Params) -> Any:
    return s.projects.list_all(p["limit"], p["startAfterId"])


@api("deleteProject", "DELETE")
def _delete_project(s: Services, p: Params) -> Any:
    s.projects.delete(p["projectId"], p["forceDelete"])


# -- tables ------------------------------------------------------------------------------------------------


@api("createDatasetFromUpload", "POST")
def _create_dataset_from_upload(s: Services, p: Params) -> Any:
    return s.tables.create_upload(p["tableName"], p["fileFormat"])


@api("createDatasetVersionFromUpload", "POST")
def _create_dataset_version_from_upload(s: Services, p: Params) -> Any:
    return s.tables.create_upload(None, p["fileFormat"], dataset_id=p["datasetId"])


@api("markUploadComplete", "POST")
def _mark_upload_complete(s: Services, p: Params) -> Any:
    return s.tables.complete_upload(p["uploadId"])


@api("describeUpload", "GET")
def _describe_upload(s: Services, p: Params) -> Any:
    return s.tables.describe_upload(p["uploadId"])


@api("describeDataset", "GET")
def _describe_dataset(s: Services, p: Params) -> Any:
    return s.tables.describe_dataset(p["datasetId"])


@api("describeFeatureGroup", "GET")
def _describe_feature_group(s: Services, p: Params) -> Any:
    return s.tables.describe(p["featureGroupId"])


@api("describeFeatureGroupByTableName", "GET")
def _describe_feature_group_by_table_name(s: Services, p: Params) -> Any:
    return s.tables.describe_by_table_name(p["tableName"])


@api("listFeatureGroups", "GET")
def _list_feature_groups(s: Services, p: Params) -> Any:
    limit = p["limit"]
    return s.tables.list_all(int(limit) if limit is not None else 100, p["startAfterId"])


@api("describeFeatureGroupVersion", "GET")
def _describe_feature_group_version(s: Services, p: Params) -> Any:
    return s.tables.describe_version(p["featureGroupVersion"])


@api("listFeatureGroupVersions", "GET")
def _list_feature_group_versions(s: Services, p: Params) -> Any:
    return s.tables.list_versions(p["featureGroupId"])


# -- models ------------------------------------------------------------------------------------------------


@api("createModelFromPython", "POST")
def _create_model_from_python(s: Services, p: Params) -> Any:
    return s.models.create_from_python(p["projectId"], p["name"], **p.pick(*REVISION_FIELDS))


@api("updatePythonModel", "POST")
def _update_python_model(s: Services, p: Params) -> Any:
    return s.models.update_python_model(p["modelId"], **p.pick(*REVISION_FIELDS))


@api("describeModel", "GET")
def _describe_model(s: Services, p: Params) -> Any:
    return s.models.describe(p["modelId"])


@api("listModels", "GET")
def _list_models(s: Services, p: Params) -> Any:
    return s.models.list_all(p["projectId"])


@api("retrainModel", "POST")
def _retrain_model(s: Services, p: Params) -> Any:
    return s.models.retrain(
        p["modelId"],
        **p.pick(
            "deploymentIds",
            "featureGroupIds",
            "customAlgorithms",
            "builtinAlgorithms",
            "customAlgorithmConfigs",
            "algorithmTrainingConfigs",
            "cpuSize",
            "memory",
            "trainingConfig",
        ),
    )


@api("listModelVersions", "GET")
def _list_model_versions(s: Services, p: Params) -> Any:
    return s.models.list_versions(p["modelId"], p["limit"], p["startAfterVersion"])


@api("describeModelVersion", "GET")
def _describe_model_version(s: Services, p: Params) -> Any:
    return s.models.describe_version(p["modelVersion"])


@api("getTrainingLogs", "GET")
def _get_training_logs(s: Services, p: Params) -> Any:
    return s.models.training_logs(p["modelVersion"], p["stdout"], p["stderr"])


@api("deleteModel", "DELETE")
def _delete_model(s: Services, p: Params) -> Any:
    s.models.delete(p["modelId"])


@api("deleteModelVersion", "DELETE")
def _delete_model_version(s: Services, p: Params) -> Any:
    s.models.delete_version(p["modelVersion"])


# -- deployments -------------------------------------------------------------------------------------------


@api("createDeployment", "POST")
def _create_deployment(s: Services, p: Params) -> Any:
    return s.deployments.create(
        model_id=p["modelId"],
        model_version=p["modelVersion"],
        name=p["name"],
        description=p["description"],
        project_id=p["projectId"],
        calls_per_second=p["callsPerSecond"],
        auto_deploy=p["autoDeploy"],
        start=p["start"],
        algorithm=p["algorithm"],
        featureGroupId=p["featureGroupId"],
        enableBatchStreamingUpdates=p["enableBatchStreamingUpdates"],
        modelDeploymentConfig=p["modelDeploymentConfig"],
    )


@api("describeDeployment", "GET")
def _describe_deployment(s: Services, p: Params) -> Any:
    return s.deployments.describe(p["deploymentId"])


@api("listDeployments", "GET")
def _list_deployments(s: Services, p: Params) -> Any:
    return s.deployments.list_all(p["projectId"])


@api("startDeployment", "POST")
def _start_deployment(s: Services, p: Params) -> Any:
    s.deployments.start(p["deploymentId"])


@api("stopDeployment", "POST")
def _stop_deployment(s: Services, p: Params) -> Any:
    s.deployments.stop(p["deploymentId"])


@api("deleteDeployment", "DELETE")
def _delete_deployment(s: Services, p: Params) -> Any:
    s.deployments.delete(p["deploymentId"])


@api("setDeploymentModelVersion", "PATCH")
def _set_deployment_model_version(s: Services, p: Params) -> Any:
    s.deployments.set_model_version(p["deploymentId"], p["modelVersion"])


@api("createDeploymentToken", "POST")
def _create_deployment_token(s: Services, p: Params) -> Any:
    return s.deployments.create_token(p["projectId"], p["name"])


@api("listDeploymentTokens", "GET")
def _list_deployment_tokens(s: Services, p: Params) -> Any:
    return s.deployments.list_tokens(p["projectId"])


@api("predict", "POST", auth="predict")
def _predict(s: Services, p: Params) -> Any:
    return RawJson(s.deployments.predict(p["deploymentId"], p["queryData"], many=False))


@api("predictMultiple", "POST", auth="predict")
def _predict_multiple(s: Services, p: Params) -> Any:
    return RawJson(s.deployments.predict(p["deploymentId"], p["queryData"], many=True))
