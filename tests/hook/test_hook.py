"""The pre-traffic hook (generator/hook/app.py) against real boto3 clients with botocore Stubber."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from generator.config.models import MAX_HOOK_CHECKS
from generator.stacks.app import function

REGION = "eu-west-1"
TARGET_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:shop-api:7"
DEPLOYMENT_ID = "d-ABCDEF123"
EXECUTION_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
HOOK_EVENT = {"DeploymentId": DEPLOYMENT_ID, "LifecycleEventHookExecutionId": EXECUTION_ID}
HEALTHY = {
    "statusCode": 200,
    "headers": {"Content-Type": "application/json"},
    "body": '{"status":"ok"}',
    "cookies": [],
    "isBase64Encoded": False,
}


def status_params(status: str) -> dict[str, str]:
    return {
        "deploymentId": DEPLOYMENT_ID,
        "lifecycleEventHookExecutionId": EXECUTION_ID,
        "status": status,
    }


def invoke_response(payload: Any, function_error: str | None = None) -> dict[str, Any]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response: dict[str, Any] = {
        "StatusCode": 200,
        "ExecutedVersion": "7",
        "Payload": StreamingBody(io.BytesIO(raw), len(raw)),
    }
    if function_error:
        response["FunctionError"] = function_error
    return response


INVOKE_PARAMS = {"FunctionName": TARGET_ARN, "InvocationType": "RequestResponse", "Payload": ANY}


@pytest.fixture(autouse=True)
def hook_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARGET_FUNCTION_ARN", TARGET_ARN)
    monkeypatch.delenv("HEALTH_PATH", raising=False)
    monkeypatch.delenv("EXPECTED_STATUS", raising=False)
    monkeypatch.delenv("CHECK_KIND", raising=False)
    for name in ("CHECK_QUEUES", "CHECK_QUEUE_ARN_PREFIX", "CHECK_SCHEDULES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CHECK_SCHEDULE_ARN_PREFIX", raising=False)


@pytest.fixture
def lambda_client() -> Any:
    return boto3.client("lambda", region_name=REGION)


@pytest.fixture
def codedeploy_client() -> Any:
    return boto3.client("codedeploy", region_name=REGION)


@pytest.fixture
def lambda_stub(lambda_client: Any) -> Iterator[Stubber]:
    with Stubber(lambda_client) as stubber:
        yield stubber


@pytest.fixture
def codedeploy_stub(codedeploy_client: Any) -> Iterator[Stubber]:
    with Stubber(codedeploy_client) as stubber:
        yield stubber


@pytest.fixture
def sent_payloads(lambda_client: Any) -> list[dict[str, Any]]:
    """The decoded Payload of every invoke the hook makes (Stubber only matches it with ANY)."""
    payloads: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        payloads.append(json.loads(params["Payload"]))

    lambda_client.meta.events.register("provide-client-params.lambda.Invoke", capture)
    return payloads


@pytest.fixture
def run(hook_app: ModuleType, lambda_client: Any, codedeploy_client: Any, lambda_context):
    def _run(event: dict[str, Any] | None = None) -> dict[str, str]:
        return hook_app.handler(
            HOOK_EVENT if event is None else event,
            lambda_context,
            lambda_client=lambda_client,
            codedeploy_client=codedeploy_client,
        )

    return _run


def test_healthy_version_reports_succeeded(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, sent_payloads: list
) -> None:
    lambda_stub.add_response("invoke", invoke_response(HEALTHY), INVOKE_PARAMS)
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": EXECUTION_ID},
        status_params("Succeeded"),
    )

    result = run()

    assert result["status"] == "Succeeded"
    assert TARGET_ARN in result["reason"]
    lambda_stub.assert_no_pending_responses()
    codedeploy_stub.assert_no_pending_responses()
    assert len(sent_payloads) == 1


def test_invoke_payload_is_http_api_v2_get_of_health_path(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, sent_payloads: list, monkeypatch
) -> None:
    monkeypatch.setenv("HEALTH_PATH", "/ping")
    lambda_stub.add_response("invoke", invoke_response(HEALTHY), INVOKE_PARAMS)
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Succeeded")
    )

    assert run()["status"] == "Succeeded"

    (event,) = sent_payloads
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/ping"
    assert event["rawQueryString"] == ""
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    context = event["requestContext"]
    assert context["http"]["method"] == "GET"
    assert context["http"]["path"] == "/ping"
    assert context["stage"] == "$default"
    assert context["requestId"] == EXECUTION_ID
    assert context["accountId"] == "123456789012"
    assert isinstance(context["timeEpoch"], int)
    assert event["headers"]["accept"] == "application/json"


def test_function_error_reports_failed(run, lambda_stub: Stubber, codedeploy_stub: Stubber) -> None:
    error = {"errorMessage": "boom", "errorType": "RuntimeError", "stackTrace": []}
    lambda_stub.add_response(
        "invoke", invoke_response(error, function_error="Unhandled"), INVOKE_PARAMS
    )
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Failed")
    )

    result = run()

    assert result["status"] == "Failed"
    assert "Unhandled" in result["reason"]
    lambda_stub.assert_no_pending_responses()
    codedeploy_stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("payload", "reason_fragment"),
    [
        ({**HEALTHY, "statusCode": 500}, "returned 500, expected 200"),
        ({**HEALTHY, "statusCode": 404}, "returned 404, expected 200"),
        ({**HEALTHY, "statusCode": "200"}, "returned '200', expected 200"),
        ({**HEALTHY, "body": "<html>ok</html>"}, "body is not JSON"),
        ({k: v for k, v in HEALTHY.items() if k != "body"}, "body is missing"),
        (b"not json at all", "payload is not JSON"),
        ([1, 2], "not a JSON object"),
        (None, "not a JSON object"),
    ],
    ids=[
        "status-500",
        "status-404",
        "status-str",
        "html-body",
        "no-body",
        "raw-text",
        "list",
        "null",
    ],
)
def test_unhealthy_response_reports_failed(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, payload: Any, reason_fragment: str
) -> None:
    lambda_stub.add_response("invoke", invoke_response(payload), INVOKE_PARAMS)
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Failed")
    )

    result = run()

    assert result["status"] == "Failed"
    assert reason_fragment in result["reason"]
    lambda_stub.assert_no_pending_responses()
    codedeploy_stub.assert_no_pending_responses()


def test_expected_status_is_configurable(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, monkeypatch
) -> None:
    monkeypatch.setenv("EXPECTED_STATUS", "202")
    lambda_stub.add_response(
        "invoke", invoke_response({**HEALTHY, "statusCode": 202}), INVOKE_PARAMS
    )
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Succeeded")
    )

    assert run()["status"] == "Succeeded"
    codedeploy_stub.assert_no_pending_responses()


def test_base64_encoded_json_body_is_accepted(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber
) -> None:
    payload = {**HEALTHY, "body": "eyJzdGF0dXMiOiJvayJ9", "isBase64Encoded": True}
    lambda_stub.add_response("invoke", invoke_response(payload), INVOKE_PARAMS)
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Succeeded")
    )

    assert run()["status"] == "Succeeded"
    codedeploy_stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "error",
    [
        ReadTimeoutError(endpoint_url=f"https://lambda.{REGION}.amazonaws.com"),
        ConnectTimeoutError(endpoint_url=f"https://lambda.{REGION}.amazonaws.com"),
    ],
    ids=["read-timeout", "connect-timeout"],
)
def test_timeout_reports_failed(
    run, lambda_client: Any, codedeploy_stub: Stubber, error: Exception
) -> None:
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Failed")
    )

    with mock.patch.object(lambda_client, "invoke", side_effect=error) as invoke:
        result = run()

    assert result["status"] == "Failed"
    assert type(error).__name__ in result["reason"]
    invoke.assert_called_once_with(
        FunctionName=TARGET_ARN, InvocationType="RequestResponse", Payload=mock.ANY
    )
    codedeploy_stub.assert_no_pending_responses()


def test_client_error_reports_failed(run, lambda_stub: Stubber, codedeploy_stub: Stubber) -> None:
    lambda_stub.add_client_error(
        "invoke",
        service_error_code="ResourceNotFoundException",
        service_message="Function not found",
        http_status_code=404,
        expected_params=INVOKE_PARAMS,
    )
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Failed")
    )

    result = run()

    assert result["status"] == "Failed"
    assert "ResourceNotFoundException" in result["reason"]
    lambda_stub.assert_no_pending_responses()
    codedeploy_stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("env", "reason_fragment"),
    [
        ({"TARGET_FUNCTION_ARN": None}, "TARGET_FUNCTION_ARN is not set"),
        ({"TARGET_FUNCTION_ARN": "shop-api"}, "not a qualified function ARN"),
        ({"HEALTH_PATH": "health"}, "HEALTH_PATH must start with '/'"),
        ({"EXPECTED_STATUS": "ok"}, "EXPECTED_STATUS is not an integer"),
    ],
    ids=["no-arn", "bad-arn", "relative-path", "bad-status"],
)
def test_misconfiguration_reports_failed_without_invoking(
    run,
    lambda_stub: Stubber,
    codedeploy_stub: Stubber,
    monkeypatch,
    env: dict[str, str | None],
    reason_fragment: str,
) -> None:
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Failed")
    )

    result = run()  # the lambda stub has no responses queued: an invoke would raise

    assert result["status"] == "Failed"
    assert reason_fragment in result["reason"]
    assert "StubResponseError" not in result["reason"]
    codedeploy_stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "event",
    [{}, {"DeploymentId": DEPLOYMENT_ID}, {"LifecycleEventHookExecutionId": EXECUTION_ID}, []],
    ids=["empty", "no-execution-id", "no-deployment-id", "not-a-dict"],
)
def test_missing_ids_return_failed_without_calling_aws(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, event: Any
) -> None:
    # Neither stub has anything queued, so any AWS call would raise out of the handler.
    result = run(event)
    assert result["status"] == "Failed"
    assert "cannot report" in result["reason"]


def test_report_failure_is_reraised(run, lambda_stub: Stubber, codedeploy_stub: Stubber) -> None:
    lambda_stub.add_response("invoke", invoke_response(HEALTHY), INVOKE_PARAMS)
    codedeploy_stub.add_client_error(
        "put_lifecycle_event_hook_execution_status",
        service_error_code="AccessDeniedException",
        service_message="not authorized",
        http_status_code=400,
        expected_params=status_params("Succeeded"),
    )

    with pytest.raises(ClientError, match="AccessDeniedException"):
        run()
    lambda_stub.assert_no_pending_responses()
    codedeploy_stub.assert_no_pending_responses()


def test_a_report_already_made_stands(run, lambda_stub: Stubber, codedeploy_stub: Stubber) -> None:
    """A report retried after its answer timed out meets the status it set: the hook ends
    with it, rather than error and have Lambda run every check again."""
    lambda_stub.add_response("invoke", invoke_response(HEALTHY), INVOKE_PARAMS)
    codedeploy_stub.add_client_error(
        "put_lifecycle_event_hook_execution_status",
        service_error_code="LifecycleEventAlreadyCompletedException",
        http_status_code=400,
        expected_params=status_params("Succeeded"),
    )

    assert run()["status"] == "Succeeded"
    codedeploy_stub.assert_no_pending_responses()


def test_report_failure_after_failed_check_is_reraised(
    run, lambda_client: Any, codedeploy_stub: Stubber
) -> None:
    codedeploy_stub.add_client_error(
        "put_lifecycle_event_hook_execution_status",
        service_error_code="DeploymentDoesNotExistException",
        expected_params=status_params("Failed"),
    )
    with (
        mock.patch.object(lambda_client, "invoke", side_effect=RuntimeError("boom")),
        pytest.raises(ClientError, match="DeploymentDoesNotExistException"),
    ):
        run()
    codedeploy_stub.assert_no_pending_responses()


def test_logs_are_single_line_json(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, capsys
) -> None:
    lambda_stub.add_response(
        "invoke", invoke_response({**HEALTHY, "statusCode": 503}), INVOKE_PARAMS
    )
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params("Failed")
    )

    run()

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    failed = [r for r in records if r["message"] == "Health check failed"]
    assert len(failed) == 1
    assert failed[0]["level"] == "ERROR"
    assert failed[0]["deployment_id"] == DEPLOYMENT_ID
    assert failed[0]["execution_id"] == EXECUTION_ID
    assert "returned 503" in failed[0]["reason"]
    assert "HealthCheckError" in failed[0]["exception"]
    assert any(r["message"] == "Reported hook status to CodeDeploy" for r in records)


class ApiBackedLambdaClient:
    """A Lambda client whose invoke runs the real API handler, like Lambda would."""

    def __init__(self, api_app: ModuleType, context: Any) -> None:
        self.api_app = api_app
        self.context = context

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict:
        result = self.api_app.handler(json.loads(Payload), self.context)
        raw = json.dumps(result).encode()
        return {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))}


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
@pytest.mark.parametrize(
    ("health_path", "expected"), [("/health", "Succeeded"), ("/missing", "Failed")]
)
def test_hook_against_real_api_handler(
    hook_app: ModuleType,
    api_app: ModuleType,
    codedeploy_client: Any,
    codedeploy_stub: Stubber,
    lambda_context,
    monkeypatch,
    health_path: str,
    expected: str,
) -> None:
    monkeypatch.setenv("HEALTH_PATH", health_path)
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status", {}, status_params(expected)
    )

    result = hook_app.handler(
        HOOK_EVENT,
        lambda_context,
        lambda_client=ApiBackedLambdaClient(api_app, lambda_context),
        codedeploy_client=codedeploy_client,
    )

    assert result["status"] == expected
    codedeploy_stub.assert_no_pending_responses()


def test_default_clients_are_bounded_and_fit_the_function_timeout(hook_app: ModuleType) -> None:
    hook_app._lambda_client.cache_clear()
    hook_app._codedeploy_client.cache_clear()
    try:
        clients = [hook_app._lambda_client(), hook_app._codedeploy_client()]
        assert hook_app._lambda_client() is clients[0]  # reused across warm invocations
    finally:
        hook_app._lambda_client.cache_clear()
        hook_app._codedeploy_client.cache_clear()

    worst_cases = []
    for client in clients:
        config = client.meta.config
        assert client.meta.region_name == REGION
        assert config.connect_timeout == hook_app.CONNECT_TIMEOUT_S
        assert config.retries["mode"] == "standard"
        # botocore turns {"max_attempts": 2} (retries) into 3 total attempts.
        attempts = config.retries["total_max_attempts"]
        assert attempts == 3
        backoff = 1 + 2  # standard-mode jitter caps for the two retries
        worst_cases.append(attempts * (config.connect_timeout + config.read_timeout) + backoff)
    assert [c.meta.config.read_timeout for c in clients] == [
        hook_app.INVOKE_READ_TIMEOUT_S,
        hook_app.CODEDEPLOY_READ_TIMEOUT_S,
    ]
    invoke, report = worst_cases
    assert (invoke, report) == (function.HOOK_INVOKE_SECONDS, function.HOOK_REPORT_SECONDS)
    # Every check in turn, then the report, within the timeout the generator gives the
    # hook for that many checks (with a fifth to spare), up to Lambda's 15 minutes.
    for checks in range(1, MAX_HOOK_CHECKS + 1):
        assert report + checks * invoke <= 0.8 * function.hook_timeout(checks) <= 720


def test_build_health_event_is_routable_by_powertools(hook_app: ModuleType) -> None:
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    event = APIGatewayProxyEventV2(hook_app.build_health_event("/health", "req-1", "111122223333"))
    assert event.http_method == "GET"
    assert event.path == "/health"
    assert event.request_context.request_id == "req-1"
    assert event.request_context.account_id == "111122223333"


def test_routeless_function_gets_the_check_event_and_passes_without_an_error(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, sent_payloads: list, monkeypatch
) -> None:
    monkeypatch.setenv("CHECK_KIND", "invoke")
    lambda_stub.add_response("invoke", invoke_response(None), INVOKE_PARAMS)
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": EXECUTION_ID},
        status_params("Succeeded"),
    )

    result = run()

    assert result["status"] == "Succeeded"
    assert sent_payloads == [{"preTrafficCheck": {"requestId": EXECUTION_ID}}]
    codedeploy_stub.assert_no_pending_responses()


def test_routeless_function_that_raises_on_the_check_event_fails(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, monkeypatch
) -> None:
    monkeypatch.setenv("CHECK_KIND", "invoke")
    lambda_stub.add_response(
        "invoke",
        invoke_response({"errorMessage": "boom", "errorType": "KeyError"}, "Unhandled"),
        INVOKE_PARAMS,
    )
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": EXECUTION_ID},
        status_params("Failed"),
    )

    result = run()

    assert result["status"] == "Failed"
    assert "function error Unhandled" in result["reason"]


def test_unknown_check_kind_fails_without_invoking(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, monkeypatch
) -> None:
    monkeypatch.setenv("CHECK_KIND", "telepathy")
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": EXECUTION_ID},
        status_params("Failed"),
    )

    result = run()

    assert result["status"] == "Failed"
    assert "CHECK_KIND must name http, sqs, schedule, invoke" in result["reason"]
    lambda_stub.assert_no_pending_responses()


QUEUE_PREFIX = f"arn:aws:sqs:{REGION}:123456789012:"
QUEUE_ARN = f"{QUEUE_PREFIX}shop-jobs"
SCHEDULE_PREFIX = f"arn:aws:scheduler:{REGION}:123456789012:schedule/shop-schedules/shop-"
SCHEDULE_ARN = f"{SCHEDULE_PREFIX}nightly"


def _queues(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECK_QUEUES", "shop-jobs")
    monkeypatch.setenv("CHECK_QUEUE_ARN_PREFIX", QUEUE_PREFIX)


def _schedules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECK_SCHEDULES", "nightly")
    monkeypatch.setenv("CHECK_SCHEDULE_ARN_PREFIX", SCHEDULE_PREFIX)


def _expect_status(codedeploy_stub: Stubber, status: str) -> None:
    codedeploy_stub.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": EXECUTION_ID},
        status_params(status),
    )


@pytest.mark.parametrize("answer", [{"batchItemFailures": []}, None, {}])
def test_a_queue_consumer_gets_an_sqs_event_carrying_the_check_marker(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, sent_payloads: list, monkeypatch, answer
) -> None:
    monkeypatch.setenv("CHECK_KIND", "sqs")
    _queues(monkeypatch)
    lambda_stub.add_response("invoke", invoke_response(answer), INVOKE_PARAMS)
    _expect_status(codedeploy_stub, "Succeeded")

    result = run()

    assert result["status"] == "Succeeded", result
    (record,) = sent_payloads[0]["Records"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == QUEUE_ARN
    assert record["awsRegion"] == REGION
    assert record["messageAttributes"]["preTrafficCheck"]["stringValue"] == EXECUTION_ID
    assert json.loads(record["body"]) == {"preTrafficCheck": {"requestId": EXECUTION_ID}}
    codedeploy_stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            {"batchItemFailures": [{"itemIdentifier": f"preTrafficCheck-{EXECUTION_ID}"}]},
            "reported the check message of " + QUEUE_ARN + " as failed",
        ),
        ({"processed": 1}, "is not a batch response"),
    ],
)
def test_a_queue_consumer_that_fails_the_check_message_fails(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, monkeypatch, answer, reason
) -> None:
    monkeypatch.setenv("CHECK_KIND", "sqs")
    _queues(monkeypatch)
    lambda_stub.add_response("invoke", invoke_response(answer), INVOKE_PARAMS)
    _expect_status(codedeploy_stub, "Failed")

    result = run()

    assert result["status"] == "Failed"
    assert reason in result["reason"]


def test_a_scheduled_function_gets_its_schedules_event_with_the_marker(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, sent_payloads: list, monkeypatch
) -> None:
    monkeypatch.setenv("CHECK_KIND", "schedule")
    _schedules(monkeypatch)
    lambda_stub.add_response("invoke", invoke_response({"done": True}), INVOKE_PARAMS)
    _expect_status(codedeploy_stub, "Succeeded")

    result = run()

    assert result["status"] == "Succeeded"
    (event,) = sent_payloads
    assert event["schedule"] == "nightly" and event["scheduleArn"] == SCHEDULE_ARN
    assert event["preTrafficCheck"] == {"requestId": EXECUTION_ID}
    assert {"scheduledTime", "executionId", "attemptNumber"} <= set(event)


def test_a_scheduled_function_that_raises_on_its_check_fails(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, monkeypatch
) -> None:
    monkeypatch.setenv("CHECK_KIND", "schedule")
    _schedules(monkeypatch)
    lambda_stub.add_response(
        "invoke",
        invoke_response({"errorMessage": "x", "errorType": "E"}, "Unhandled"),
        INVOKE_PARAMS,
    )
    _expect_status(codedeploy_stub, "Failed")

    result = run()

    assert result["status"] == "Failed" and "function error Unhandled" in result["reason"]


def test_every_kind_of_a_function_is_checked_in_turn_and_the_first_failure_stops(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, sent_payloads: list, monkeypatch
) -> None:
    monkeypatch.setenv("CHECK_KIND", "http,sqs,schedule")
    _queues(monkeypatch)
    _schedules(monkeypatch)
    lambda_stub.add_response("invoke", invoke_response(HEALTHY), INVOKE_PARAMS)
    lambda_stub.add_response(
        "invoke",
        invoke_response({"errorMessage": "x", "errorType": "E"}, "Unhandled"),
        INVOKE_PARAMS,
    )
    _expect_status(codedeploy_stub, "Failed")

    result = run()

    assert result["status"] == "Failed"
    assert len(sent_payloads) == 2 and "Records" in sent_payloads[1]
    lambda_stub.assert_no_pending_responses()


def test_a_consumer_without_its_queues_named_fails_without_invoking(
    run, lambda_stub: Stubber, codedeploy_stub: Stubber, monkeypatch
) -> None:
    monkeypatch.setenv("CHECK_KIND", "sqs")
    _expect_status(codedeploy_stub, "Failed")

    result = run()

    assert result["status"] == "Failed" and "CHECK_QUEUES is not set" in result["reason"]


class DirectLambdaClient:
    """Invokes a handler in-process, as Lambda would with the hook's payload."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler

    def invoke(self, **params: Any) -> dict[str, Any]:
        result = self.handler(json.loads(params["Payload"]), None)
        return invoke_response(result)


def test_the_example_consumer_meets_the_contract_of_each_check(
    hook_app: ModuleType, codedeploy_client: Any, codedeploy_stub: Stubber, monkeypatch
) -> None:
    from pathlib import Path

    from tests.support import functions as support

    jobs = support.load_module(
        Path(__file__).resolve().parents[2] / "examples" / "functions" / "jobs" / "app.py",
        "example_jobs_app",
    )
    monkeypatch.setenv("CHECK_KIND", "sqs,schedule")
    _queues(monkeypatch)
    _schedules(monkeypatch)
    _expect_status(codedeploy_stub, "Succeeded")

    result = hook_app.handler(
        HOOK_EVENT,
        None,
        lambda_client=DirectLambdaClient(jobs.handler),
        codedeploy_client=codedeploy_client,
    )

    assert result["status"] == "Succeeded", result
    # A real job message that fails is still reported, so the check is not vacuous.
    bad = hook_app.build_sqs_event(QUEUE_ARN, "x")
    bad["Records"][0]["messageAttributes"] = {}
    assert jobs.handler(bad, None)["batchItemFailures"] == [{"itemIdentifier": "preTrafficCheck-x"}]
