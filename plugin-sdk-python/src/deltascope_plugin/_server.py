"""The plugin process: environment, handshake, the gRPC servicer (docs/plugin-protocol.md)."""
from __future__ import annotations

import os
import queue
import signal
import stat
import sys
import threading
from concurrent import futures
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Union

import grpc

from deltascope_plugin._api import ACTIONS, Comparator, Context, Result, Side
from deltascope_plugin._gen.deltascope.plugin.v1 import comparator_pb2 as pb
from deltascope_plugin._gen.deltascope.plugin.v1 import comparator_pb2_grpc as pb_grpc
from deltascope_plugin._gen.grpc.health.v1 import health_pb2, health_pb2_grpc

MAGIC_COOKIE = "d3lt4sc0pe-plugin-v1"
PROTOCOL_VERSIONS = (1,)
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Comparator"].full_name
_SCOPES = {"files": pb.SCOPE_FILES, "containers": pb.SCOPE_CONTAINERS, "any": pb.SCOPE_ANY}
_OUTCOMES = {"identical": pb.CompareResponse.OUTCOME_IDENTICAL, "leaf": pb.CompareResponse.OUTCOME_LEAF,
             "expand": pb.CompareResponse.OUTCOME_EXPAND, "skip": pb.CompareResponse.OUTCOME_SKIP}


def _as_instances(comparators: Iterable[Union[Comparator, type]]) -> List[Comparator]:
    out = []
    for c in comparators:
        inst = c() if isinstance(c, type) else c
        if not isinstance(inst, Comparator) or not inst.name:
            raise TypeError(f"{c!r} is not a deltascope_plugin.Comparator with a name")
        out.append(inst)
    return out


def comparator_info(c: Comparator) -> pb.ComparatorInfo:
    return pb.ComparatorInfo(name=c.name, extensions=[e.lower() for e in c.extensions],
                             media_types=list(c.media_types), scope=_SCOPES.get(c.scope, pb.SCOPE_FILES),
                             handles_identical=c.handles_identical)


def _side(item: pb.Item, path: str) -> Side:
    return Side(logical_path=item.logical_path, path=path, size=item.size, media_type=item.media_type,
                content_hash=item.content_hash, kind=item.kind or "file")


def _check_node(node, depth: int) -> None:
    """Refuses what the host would: the bounds are the protocol's ReplyBound (comparator.proto)."""
    if depth > pb.REPLY_BOUND_MAX_NODE_DEPTH:
        raise ValueError(f"nodes nested deeper than {pb.REPLY_BOUND_MAX_NODE_DEPTH}")
    if node.action and node.action not in ACTIONS:
        raise ValueError(f"invalid action {node.action!r}")
    for child in node.children:
        _check_node(child, depth + 1)


def run_comparator(comparator: Comparator, request: pb.CompareRequest, left_path: Optional[str],
                   right_path: Optional[str], cancelled: Optional[threading.Event] = None) -> pb.CompareResponse:
    """Calls ``comparator.compare`` and turns its Result into a CompareResponse (validated)."""
    ctx = Context(path=request.path, options=dict(request.options), max_examples=request.max_examples or 8,
                  output_dir=request.output_dir, identical=request.identical)
    if cancelled is not None:
        ctx._cancelled = cancelled
    left = _side(request.left, left_path) if left_path is not None else None
    right = _side(request.right, right_path) if right_path is not None else None
    result = comparator.compare(left, right, ctx)
    if not isinstance(result, Result) or result.outcome not in _OUTCOMES:
        raise TypeError(f"compare() must return identical(), skip(), changed(...) or expand(...), "
                        f"not {result!r}")
    response = pb.CompareResponse(outcome=_OUTCOMES[result.outcome])
    if result.node is not None:
        _check_node(result.node, 1)
        response.node.CopyFrom(result.node)
        if not response.node.comparator:
            response.node.comparator = comparator.name
    for child in result.children:
        response.children.add(name=child.name, left_path=child.left_path, right_path=child.right_path)
    size = response.ByteSize()
    if size > pb.REPLY_BOUND_MAX_REPLY_BYTES:
        raise ValueError(f"response of {size} bytes exceeds the {pb.REPLY_BOUND_MAX_REPLY_BYTES >> 20} MiB "
                         "limit: bound the examples")
    return response


class _Servicer(pb_grpc.ComparatorServicer):
    def __init__(self, name: str, version: str, protocol: int, comparators: Sequence[Comparator],
                 stop: threading.Event, pool: Optional[futures.ThreadPoolExecutor] = None):
        self._name, self._version, self._protocol = name, version, protocol
        self._by_name: Dict[str, Comparator] = {c.name: c for c in comparators}
        self._stop = stop
        self._pool = pool  # runs the calls of ComparePipe; None: the pipe is not offered

    def Describe(self, request, context):
        return pb.DescribeResponse(protocol_version=self._protocol, name=self._name, version=self._version,
                                   comparators=[comparator_info(c) for c in self._by_name.values()],
                                   capabilities=[pb.CAPABILITY_COMPARE_PIPE] if self._pool else [])

    def _lookup(self, request, context) -> Comparator:
        c = self._by_name.get(request.comparator)
        if c is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"no comparator named {request.comparator!r}")
        return c

    def _call(self, c: Comparator, request, left_path, right_path, context):
        cancelled = threading.Event()
        context.add_callback(cancelled.set)
        try:
            return run_comparator(c, request, left_path, right_path, cancelled)
        except Exception as e:  # a plugin bug becomes a clean error: the host falls back
            import traceback

            traceback.print_exc(file=sys.stderr)
            context.abort(grpc.StatusCode.INTERNAL, f"{type(e).__name__}: {e}")

    def Compare(self, request, context):
        c = self._lookup(request, context)
        left = request.left.path if request.HasField("left") else None
        right = request.right.path if request.HasField("right") else None
        return self._call(c, request, left, right, context)

    def CompareStream(self, request_iterator: Iterator[pb.CompareStreamMessage], context):
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("message") != "request":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "CompareStream must start with a request")
        request = first.request
        c = self._lookup(request, context)
        import tempfile  # not on the start-up path: most plugins read paths

        with tempfile.TemporaryDirectory(prefix="deltascope-plugin-") as tmp:
            paths = {}
            files = {}
            try:
                for msg in request_iterator:
                    if msg.WhichOneof("message") != "chunk":
                        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "only chunks may follow the request")
                    side = "left" if msg.chunk.side == pb.ContentChunk.SIDE_LEFT else "right"
                    if side not in files:
                        paths[side] = os.path.join(tmp, side)
                        files[side] = open(paths[side], "wb")
                    files[side].write(msg.chunk.data)
                    if msg.chunk.last:
                        files[side].close()
            finally:
                for f in files.values():
                    f.close()
            for side, has in (("left", request.HasField("left")), ("right", request.HasField("right"))):
                if has and side not in paths:  # an empty file sends no chunk with data
                    open(os.path.join(tmp, side), "wb").close()
                    paths[side] = os.path.join(tmp, side)
            left = paths.get("left") if request.HasField("left") else None
            right = paths.get("right") if request.HasField("right") else None
            return self._call(c, request, left, right, context)

    def _pipe_reply(self, call: pb.PipeCall, cancelled: threading.Event) -> pb.PipeReply:
        request = call.request
        c = self._by_name.get(request.comparator)
        if c is None:
            return pb.PipeReply(id=call.id, code=grpc.StatusCode.UNIMPLEMENTED.value[0],
                                message=f"no comparator named {request.comparator!r}")
        left = request.left.path if request.HasField("left") else None
        right = request.right.path if request.HasField("right") else None
        try:
            return pb.PipeReply(id=call.id, response=run_comparator(c, request, left, right, cancelled))
        except Exception as e:  # a plugin bug becomes a clean error for this call only
            import traceback

            traceback.print_exc(file=sys.stderr)
            return pb.PipeReply(id=call.id, code=grpc.StatusCode.INTERNAL.value[0],
                                message=f"{type(e).__name__}: {e}")

    def ComparePipe(self, request_iterator: Iterator[pb.ComparePipeRequest], context):
        """Many calls on one stream: each runs on the pool as it arrives; replies go back as they are
        ready, those ready together in one message."""
        if self._pool is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "ComparePipe is not served")
        cancelled = threading.Event()
        context.add_callback(cancelled.set)
        ready: "queue.Queue[Optional[pb.PipeReply]]" = queue.Queue()
        submitted = [0]
        reading_done = threading.Event()

        def read() -> None:
            try:
                for message in request_iterator:
                    for call in message.calls:
                        submitted[0] += 1
                        self._pool.submit(lambda c=call: ready.put(self._pipe_reply(c, cancelled)))
            except Exception:  # the host went away: nothing more to answer
                pass
            finally:
                reading_done.set()
                ready.put(None)  # wakes the writer to look at the count

        threading.Thread(target=read, daemon=True).start()
        answered = 0
        while not (reading_done.is_set() and answered == submitted[0]):
            first = ready.get()
            batch = [] if first is None else [first]
            while True:  # whatever else is ready goes in the same message
                try:
                    more = ready.get_nowait()
                except queue.Empty:
                    break
                if more is not None:
                    batch.append(more)
            if batch:
                answered += len(batch)
                yield pb.ComparePipeResponse(replies=batch)

    def Shutdown(self, request, context):
        self._stop.set()
        return pb.ShutdownResponse()


class _Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        if request.service in ("", SERVICE_NAME):
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
        context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")


def _negotiate() -> int:
    offered = os.environ.get("DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS", "1")
    try:
        host = {int(v) for v in offered.split(",") if v.strip()}
    except ValueError:
        host = set()
    common = host & set(PROTOCOL_VERSIONS)
    return max(common) if common else 0


def _write_handshake(version: int, socket_path: str) -> None:
    fd = int(os.environ.get("DELTASCOPE_PLUGIN_READY_FD", "3"))
    line = f"deltascope-plugin|{version}|unix|{socket_path}|grpc\n".encode()
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _listen_address(listen: str) -> "tuple[str, str]":
    """Maps ``unix:///abs/path`` or ``host:port`` to (gRPC address, Unix socket path or "")."""
    for prefix in ("unix://", "unix:"):
        if listen.startswith(prefix) and listen[len(prefix):].startswith("/"):
            path = listen[len(prefix):]
            return f"unix:{path}", path
    host, _, port = listen.rpartition(":")
    if host and "/" not in listen and port.isdigit() and 0 < int(port) < 65536:
        return listen, ""
    raise ValueError(f"DELTASCOPE_PLUGIN_LISTEN {listen!r} must be unix:///absolute/path or host:port")


def _run(instances: List[Comparator], name: str, version: str, protocol: int, address: str, socket_path: str,
         handshake: bool, compare_pipe: bool = True) -> int:
    stop = threading.Event()
    workers = max(4, os.cpu_count() or 1)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    pool = futures.ThreadPoolExecutor(max_workers=workers) if compare_pipe else None
    pb_grpc.add_ComparatorServicer_to_server(
        _Servicer(name or os.environ.get("DELTASCOPE_PLUGIN_NAME", "python-plugin"), version, protocol,
                  instances, stop, pool), server)
    health_pb2_grpc.add_HealthServicer_to_server(_Health(), server)
    if socket_path and os.path.exists(socket_path) and stat.S_ISSOCK(os.lstat(socket_path).st_mode):
        os.unlink(socket_path)  # a stale socket from an earlier run
    if server.add_insecure_port(address) == 0:
        print(f"deltascope plugin: cannot listen on {address}", file=sys.stderr)
        return 1
    server.start()
    if handshake:
        _write_handshake(protocol, socket_path)
    else:
        print(f"deltascope plugin: listening on {address} (attached mode)", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if not handshake:
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=1).wait()
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
    if not handshake and socket_path and os.path.exists(socket_path):
        os.unlink(socket_path)
    return 0


def serve(*comparators: Union[Comparator, type], name: str = "", version: str = "0.0.0",
          listen: Optional[str] = None, compare_pipe: bool = True) -> int:
    """Serves the comparators as a deltascope plugin until the host shuts it down. Returns an exit code.

    Call it from your plugin's ``__main__``: ``raise SystemExit(serve(MyComparator(), name="my-plugin"))``.

    Listen mode (an attached plugin, named by a manifest ``endpoint``): with ``listen="unix:///path"`` or
    ``"host:port"``, or ``$DELTASCOPE_PLUGIN_LISTEN``, it serves there without a host or handshake until
    SIGTERM or SIGINT.

    ``compare_pipe=False`` serves Compare and CompareStream only (no ComparePipe): the host then makes
    one call per item, as with plugins built on an SDK older than the pipe.
    """
    instances = _as_instances(comparators)
    spawned = os.environ.get("DELTASCOPE_PLUGIN_MAGIC_COOKIE") == MAGIC_COOKIE
    # A process the host spawned ignores a DELTASCOPE_PLUGIN_LISTEN it inherited.
    listen = listen or ("" if spawned else os.environ.get("DELTASCOPE_PLUGIN_LISTEN", ""))
    if listen:
        try:
            address, socket_path = _listen_address(listen)
        except ValueError as e:
            print(f"deltascope plugin: {e}", file=sys.stderr)
            return 2
        return _run(instances, name, version, PROTOCOL_VERSIONS[0], address, socket_path, handshake=False,
                    compare_pipe=compare_pipe)
    if not spawned:
        print("This is a deltascope plugin; it is started by deltascope, not by hand.", file=sys.stderr)
        return 1
    socket_path = os.environ.get("DELTASCOPE_PLUGIN_SOCKET", "")
    if not socket_path:
        print("deltascope plugin: DELTASCOPE_PLUGIN_SOCKET is not set", file=sys.stderr)
        return 1
    protocol = _negotiate()
    if protocol == 0:
        print(f"deltascope plugin: no common protocol version (host offers "
              f"{os.environ.get('DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS')!r}, plugin speaks "
              f"{','.join(map(str, PROTOCOL_VERSIONS))})", file=sys.stderr)
        _write_handshake(0, socket_path)
        return 1
    return _run(instances, name, version, protocol, f"unix:{socket_path}", socket_path, handshake=True,
                compare_pipe=compare_pipe)
