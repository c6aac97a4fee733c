"""An independent client (Python grpcio) against the four running services.

For each service: grpc.health.v1 Check (overall and by service name) must say SERVING, and one
RPC that is not built yet must end with UNIMPLEMENTED when called with a valid token and with
UNAUTHENTICATED without one. Stubs are generated at run time from Protos/ with grpc_tools, so
nothing here depends on the project's Swift code.

    python interop_check.py --protos DIR --token TOKEN \
        --gateway HOST:PORT --conversation HOST:PORT --assignment HOST:PORT --policy HOST:PORT
Exit status 0 when every check passed; one line per check either way.
"""

import argparse
import importlib
import os
import sys
import tempfile

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--protos", required=True)
    parser.add_argument("--token", required=True)
    for name in ("gateway", "conversation", "assignment", "policy"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as out:
        generate_stubs(args.protos, out)
        services = [
            (args.gateway, "inbox.v1.ChannelGatewayService", "channel_gateway", "ChannelGatewayService",
             "ListChannels", "ListChannelsRequest"),
            (args.conversation, "inbox.v1.ConversationService", "conversation", "ConversationService",
             "ListConversations", "ListConversationsRequest"),
            (args.assignment, "inbox.v1.AssignmentService", "assignment", "AssignmentService",
             "ListTeams", "ListTeamsRequest"),
            (args.policy, "inbox.v1.PolicyService", "policy", "PolicyService",
             "GetInboxState", "GetInboxStateRequest"),
        ]
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
                for label, metadata, expected in (
                    ("with token", [("authorization", f"Bearer {args.token}")], grpc.StatusCode.UNIMPLEMENTED),
                    ("without token", [], grpc.StatusCode.UNAUTHENTICATED),
                ):
                    try:
                        call(request, metadata=metadata, timeout=5)
                        check(f"{full_name}/{method} {label}", False, "answered OK")
                    except grpc.RpcError as error:
                        check(f"{full_name}/{method} {label}", error.code() == expected,
                              f"{error.code().name} {error.details()!r}")
        print(f"{failures} failed")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
