"""The Model, ModelVersion, CodeSource and FunctionLogs objects of the reference page, every key present."""

from __future__ import annotations

from typing import Any

_DONE = ("COMPLETE", "FAILED")


def code_source_view(rev: dict[str, Any]) -> dict[str, Any]:
    return {
        "sourceType": "TEXT",
        "sourceCode": rev["source_code"],
        "applicationConnectorId": None,
        "applicationConnectorInfo": None,
        "packageRequirements": list(rev["package_requirements"]),
        "status": "COMPLETE",
        "error": None,
        "publishingMsg": {"warnings": list(rev["warnings"])} if rev["warnings"] else {},
        "moduleDependencies": None,
    }


def version_view(version: dict[str, Any], rev: dict[str, Any], deployments: list[dict[str, Any]]) -> dict[str, Any]:
    status = version["status"]
    requested = version["requested"] or {}
    pending = [d["id"] for d in deployments if d["status"] in ("PENDING", "DEPLOYING")]
    failed = [d["id"] for d in deployments if d["status"] == "FAILED"]
    return {
        "modelVersion": version["id"],
        "modelConfigType": None,
        "status": status,
        "modelId": version["model_id"],
        "modelPredictionConfig": None,
        "trainingStartedAt": version["training_started_at"],
        "trainingCompletedAt": version["training_completed_at"],
        "featureGroupVersions": list(version["feature_group_versions"]),
        "customAlgorithms": [],
        "builtinAlgorithms": [],
        "error": version["error"],
        "pendingDeploymentIds": pending,
        "failedDeploymentIds": failed,
        "cpuSize": requested.get("cpuSize"),
        "memory": requested.get("memoryGb"),
        "automlComplete": status in _DONE,
        "trainingFeatureGroupIds": list(requested.get("featureGroupIds", [])),
        "trainingDocumentRetrieverVersions": [],
        "documentRetrieverMappings": None,
        "bestAlgorithm": None,
        "defaultAlgorithm": None,
        "featureAnalysisStatus": None,
        "dataClusterInfo": None,
        "customAlgorithmConfigs": None,
        "trainedModelTypes": None,
        "useGpu": bool(requested.get("useGpu")),
        # The SDK's wait_for_training looks at this alone: true once the version is COMPLETE or FAILED.
        "partialComplete": status in _DONE,
        "modelFeatureGroupSchemaMappings": None,
        "trainingConfigUpdated": False,
        "codeSource": code_source_view(rev),
        "modelConfig": None,
        "deployableAlgorithms": None,
        # pymodel's own keys (the SDK ignores keys it does not know)
        "trainingConfig": version["training_config"],
        "requestedResources": requested,
        "resourceUsage": version["usage"],
        "exception": version["exception"],
        "artifactSha256": version["artifact_sha256"],
        "trainingInputTables": list(rev["training_input_tables"]),
    }


def model_view(
    model: dict[str, Any],
    rev: dict[str, Any],
    latest: dict[str, Any] | None,
    training_required: bool,
    feature_group_ids: list[str],
) -> dict[str, Any]:
    return {
        "name": model["name"],
        "modelId": model["id"],
        "modelConfigType": None,
        "modelPredictionConfig": None,
        "createdAt": model["created_at"],
        "projectId": model["project_id"],
        "shared": False,
        "sharedAt": None,
        "trainFunctionName": rev["train_function_name"],
        "predictFunctionName": rev["predict_function_name"],
        "predictManyFunctionName": rev["predict_many_function_name"],
        "initializeFunctionName": rev["initialize_function_name"],
        "trainingInputTables": list(rev["training_input_tables"]),
        "sourceCode": rev["source_code"],
        "cpuSize": rev["cpu_size"],
        "memory": rev["memory"],
        "trainingFeatureGroupIds": feature_group_ids,
        "algorithmModelConfigs": None,
        "trainingVectorStoreVersions": [],
        "documentRetrievers": None,
        "documentRetrieverIds": None,
        "isPythonModel": model.get("kind", "PYTHON") == "PYTHON",
        "defaultAlgorithm": None,
        "customAlgorithmConfigs": None,
        "restrictedAlgorithms": None,
        "useGpu": bool(rev["use_gpu"]),
        "notebookId": None,
        "trainingRequired": training_required,
        "refreshSchedules": [],
        "codeSource": code_source_view(rev),
        "databaseConnector": None,
        "dataLlmFeatureGroups": None,
        "latestModelVersion": latest,
        "modelConfig": None,
        "deployableAlgorithms": None,
        "location": None,
        "artifactNames": None,
        # pymodel's own keys
        "packageRequirements": list(rev["package_requirements"]),
        "isThreadSafe": rev["is_thread_safe"],
        "trainingConfig": rev["training_config"],
        "revisionId": rev["id"],
    }


def logs_view(stdout: str | None, stderr: str | None, version: dict[str, Any]) -> dict[str, Any]:
    return {
        "function": "train",
        "stats": {"status": version["status"], **(version["usage"] or {})},
        "stdout": stdout,
        "stderr": stderr,
        "algorithm": None,
        "exception": version["exception"] or {},
    }
