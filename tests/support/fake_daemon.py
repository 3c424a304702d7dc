"""A stand-in for deltascoped that answers Diff wrongly, for the client's bad-answer tests.

    python fake_daemon.py SOCKET MODE

MODE: garbage (one event that is not a DiffEvent, then the stream stays open), garbage-end (the
same, then the stream ends with OK), empty (no event at all, then OK).
"""
import sys
import threading
from concurrent import futures

import grpc

NOT_A_DIFF_EVENT = b"\xff\xff\xff\xff"  # field 31, wire type 7: no valid protobuf message


def main(socket_path: str, mode: str) -> None:
    stop = threading.Event()

    def diff(request, context):
        if mode in ("garbage", "garbage-end"):
            yield NOT_A_DIFF_EVENT
        if mode == "garbage":
            stop.wait()  # hold the stream open until the server stops

    handler = grpc.method_handlers_generic_handler(
        "deltascope.daemon.v1.Deltascope", {"Diff": grpc.unary_stream_rpc_method_handler(diff)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"unix:{socket_path}")
    server.start()
    print("fake daemon ready", file=sys.stderr, flush=True)
    try:
        server.wait_for_termination()
    finally:
        stop.set()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
