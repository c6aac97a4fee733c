"""An independent client (Python grpcio) against the four running services.

For each service: grpc.health.v1 Check (overall and by service name) must say SERVING, and one
RPC must end with UNIMPLEMENTED (reason NOT_IMPLEMENTED) while it is not built, or with its real
refusal once built (policy's GetInboxState, assignment's GetAgent and conversation's
GetConversation: NOT_FOUND, RESOURCE_NOT_FOUND, for an organisation, agent or conversation that
does not exist), when called with a valid token and with UNAUTHENTICATED (reason TOKEN_MISSING) without one. Error reasons are read
the way any grpcio client reads them: `grpc_status.rpc_status.from_call` decodes the
`grpc-status-details-bin` trailer into a google.rpc.Status whose first detail is an ErrorInfo.
A batch over its limit (IngestEvents with 501 events) must be INVALID_ARGUMENT, BATCH_TOO_LARGE.

With --refusal HOST:PORT, SendReply there must be refused with FAILED_PRECONDITION, reason
REPLY_REFUSED, and a ReplyRefusal detail (HUMAN_AGENT_TAG_REQUIRED, window ends as given by
--refusal-window-end, seconds since the epoch).

Stubs are generated at run time from Protos/ with grpc_tools, so nothing here depends on the
project's Swift code.

    python interop_check.py --protos DIR --token TOKEN --service-token TOKEN \
        --gateway HOST:PORT --conversation HOST:PORT --assignment HOST:PORT --policy HOST:PORT \
        [--refusal HOST:PORT --refusal-window-end SECONDS]
Exit status 0 when every check passed; one line per check either way.
"""

import argparse
import importlib
import os
import sys
import tempfile

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from grpc_tools import protoc

import grpc_tools


def generate_stubs(protos: str, out: str) -> None:
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    sources = [
        os.path.join("inbox", "v1", name)
        for name in sorted(os.listdir(os.path.join(protos, "inbox", "v1")))
        if name.endswith(".proto")
    ]
    status = protoc.main(
        ["protoc", f"-I{protos}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}", *sources]
    )
    if status != 0:
        raise SystemExit(f"protoc failed with {status}")
    sys.path.insert(0, out)


def error_info(error: grpc.RpcError):
    """The ErrorInfo (first detail) and all details of a failed call's google.rpc.Status."""
    status = rpc_status.from_call(error)
    if status is None or not status.details:
        return None, []
    info = error_details_pb2.ErrorInfo()
    return (info if status.details[0].Unpack(info) else None), list(status.details)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--service-token", required=True, help="for IngestEvents, a service call")
    for name in ("gateway", "conversation", "assignment", "policy"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--refusal")
    parser.add_argument("--refusal-window-end", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as out:
        generate_stubs(args.protos, out)
        services = [
            (args.gateway, "inbox.v1.ChannelGatewayService", "channel_gateway", "ChannelGatewayService",
             "GetChannel", "GetChannelRequest"),
            (args.conversation, "inbox.v1.ConversationService", "conversation", "ConversationService",
             "GetConversation", "GetConversationRequest"),
            (args.assignment, "inbox.v1.AssignmentService", "assignment", "AssignmentService",
             "GetAgent", "GetAgentRequest"),
            (args.policy, "inbox.v1.PolicyService", "policy", "PolicyService",
             "GetInboxState", "GetInboxStateRequest"),
        ]
        # What a built RPC answers with a token: the token's organisation does not exist there.
        built = {
            "inbox.v1.PolicyService": (grpc.StatusCode.NOT_FOUND, "RESOURCE_NOT_FOUND"),
            "inbox.v1.AssignmentService": (grpc.StatusCode.NOT_FOUND, "RESOURCE_NOT_FOUND"),
            "inbox.v1.ConversationService": (grpc.StatusCode.NOT_FOUND, "RESOURCE_NOT_FOUND"),
            "inbox.v1.ChannelGatewayService": (grpc.StatusCode.NOT_FOUND, "RESOURCE_NOT_FOUND"),
        }
        failures = 0

        def check(label: str, ok: bool, detail: str) -> None:
            nonlocal failures
            failures += 0 if ok else 1
            print(f"{'ok  ' if ok else 'FAIL'} {label}: {detail}")

        for address, full_name, module, service, method, request_type in services:
            messages = importlib.import_module(f"inbox.v1.{module}_pb2")
            stubs = importlib.import_module(f"inbox.v1.{module}_pb2_grpc")
            with grpc.insecure_channel(address) as channel:
                health = health_pb2_grpc.HealthStub(channel)
                for name in ("", full_name):
                    status = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5).status
                    check(f"{address} health '{name}'", status == health_pb2.HealthCheckResponse.SERVING,
                          health_pb2.HealthCheckResponse.ServingStatus.Name(status))
                stub = getattr(stubs, f"{service}Stub")(channel)
                call = getattr(stub, method)
                request = getattr(messages, request_type)()
                if method == "GetConversation":
                    request.conversation_id = "00000000-0000-4000-8000-000000000001"
                if method == "GetChannel":
                    request.channel_id = "00000000-0000-4000-8000-000000000001"
                with_token = built.get(full_name, (grpc.StatusCode.UNIMPLEMENTED, "NOT_IMPLEMENTED"))
                for label, metadata, expected, reason in (
                    ("with token", [("authorization", f"Bearer {args.token}")], *with_token),
                    ("without token", [], grpc.StatusCode.UNAUTHENTICATED, "TOKEN_MISSING"),
                ):
                    try:
                        call(request, metadata=metadata, timeout=5)
                        check(f"{full_name}/{method} {label}", False, "answered OK")
                    except grpc.RpcError as error:
                        info, _ = error_info(error)
                        check(f"{full_name}/{method} {label}",
                              error.code() == expected and info is not None and info.reason == reason
                              and info.domain == "inbox.v1",
                              f"{error.code().name} {error.details()!r} reason={info.reason if info else None}")

        # A batch over its limit is refused whole, with the limit in the ErrorInfo metadata.
        conversation = importlib.import_module("inbox.v1.conversation_pb2")
        conversation_grpc = importlib.import_module("inbox.v1.conversation_pb2_grpc")
        common = importlib.import_module("inbox.v1.common_pb2")
        with grpc.insecure_channel(args.conversation) as channel:
            stub = conversation_grpc.ConversationServiceStub(channel)
            request = conversation.IngestEventsRequest(events=[common.InboundEvent() for _ in range(501)])
            try:
                stub.IngestEvents(request, metadata=[("authorization", f"Bearer {args.service_token}")], timeout=5)
                check("IngestEvents with 501 events", False, "answered OK")
            except grpc.RpcError as error:
                info, _ = error_info(error)
                check("IngestEvents with 501 events",
                      error.code() == grpc.StatusCode.INVALID_ARGUMENT and info is not None
                      and info.reason == "BATCH_TOO_LARGE" and info.metadata.get("limit") == "500"
                      and info.metadata.get("size") == "501",
                      f"{error.code().name} reason={info.reason if info else None} "
                      f"metadata={dict(info.metadata) if info else None}")

        if args.refusal:
            with grpc.insecure_channel(args.refusal) as channel:
                stub = conversation_grpc.ConversationServiceStub(channel)
                request = conversation.SendReplyRequest(conversation_id="c-1", idempotency_key="k-1", text="hello")
                try:
                    stub.SendReply(request, metadata=[("authorization", f"Bearer {args.token}")], timeout=5)
                    check("SendReply refused", False, "answered OK")
                except grpc.RpcError as error:
                    info, details = error_info(error)
                    refusals = []
                    for detail in details[1:]:
                        refusal = common.ReplyRefusal()
                        if detail.Unpack(refusal):
                            refusals.append(refusal)
                    refusal = refusals[0] if refusals else None
                    check("SendReply refused: status and reason",
                          error.code() == grpc.StatusCode.FAILED_PRECONDITION and info is not None
                          and info.reason == "REPLY_REFUSED",
                          f"{error.code().name} reason={info.reason if info else None}")
                    check("SendReply refused: ReplyRefusal detail",
                          refusal is not None
                          and refusal.reason == common.REPLY_REFUSAL_REASON_HUMAN_AGENT_TAG_REQUIRED
                          and refusal.window_ends_at.seconds == args.refusal_window_end
                          and refusal.human_agent_window_ends_at.seconds > refusal.window_ends_at.seconds,
                          f"{common.ReplyRefusalReason.Name(refusal.reason) if refusal else None} "
                          f"window_ends_at={refusal.window_ends_at.seconds if refusal else None}")
        print(f"{failures} failed")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
