"""The SDK's server side, over a real Unix socket with real gRPC."""
import os

import grpc
import pytest

from deltascope_plugin._gen.deltascope.plugin.v1 import comparator_pb2 as pb
from deltascope_plugin._gen.grpc.health.v1 import health_pb2


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def request(left, right, logical="x.words"):
    req = pb.CompareRequest(comparator="words", path=logical, max_examples=8)
    if left:
        req.left.CopyFrom(pb.Item(logical_path=logical, path=left, size=os.path.getsize(left)))
    if right:
        req.right.CopyFrom(pb.Item(logical_path=logical, path=right, size=os.path.getsize(right)))
    return req


def test_handshake_describe_health_compare_shutdown(plugin_factory, sample_plugin_argv, tmp_path):
    p = plugin_factory(sample_plugin_argv)
    assert p.handshake == f"deltascope-plugin|1|unix|{p.socket}|grpc\n"
    stub, health = p.connect()
    d = stub.Describe(pb.DescribeRequest(host_protocol_versions=[1]))
    assert (d.protocol_version, d.name, d.version) == (1, "words-test", "9.9")
    assert [c.name for c in d.comparators] == ["words"]
    assert list(d.comparators[0].extensions) == [".words"]
    for service in ("", "deltascope.plugin.v1.Comparator"):
        assert health.Check(health_pb2.HealthCheckRequest(service=service)).status == \
            health_pb2.HealthCheckResponse.SERVING
    a, b = write(tmp_path, "a.words", "x y"), write(tmp_path, "b.words", "x y z w")
    r = stub.Compare(request(a, b), timeout=10)
    assert r.outcome == pb.CompareResponse.OUTCOME_LEAF
    assert r.node.summary == "2 words added"
    assert r.node.comparator == "words"
    assert list(r.node.details["added"]) == ["w", "z"]
    assert stub.Compare(request(a, a), timeout=10).outcome == pb.CompareResponse.OUTCOME_IDENTICAL
    stub.Shutdown(pb.ShutdownRequest())
    assert p.proc.wait(timeout=10) == 0


def test_exception_becomes_internal_error_with_type_and_message(plugin_factory, sample_plugin_argv, tmp_path):
    p = plugin_factory(sample_plugin_argv)
    stub, _ = p.connect()
    a, b = write(tmp_path, "a.words", "x"), write(tmp_path, "b.words", "explode")
    with pytest.raises(grpc.RpcError) as err:
        stub.Compare(request(a, b), timeout=10)
    assert err.value.code() == grpc.StatusCode.INTERNAL
    assert "RuntimeError: asked to explode" in err.value.details()
    # The plugin survives its comparator's exception.
    assert stub.Compare(request(a, a), timeout=10).outcome == pb.CompareResponse.OUTCOME_IDENTICAL


def test_unknown_comparator_is_unimplemented(plugin_factory, sample_plugin_argv, tmp_path):
    p = plugin_factory(sample_plugin_argv)
    stub, _ = p.connect()
    req = request(write(tmp_path, "a.words", "x"), None)
    req.comparator = "nope"
    with pytest.raises(grpc.RpcError) as err:
        stub.Compare(req, timeout=10)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_compare_stream_delivers_a_readable_file(plugin_factory, sample_plugin_argv, tmp_path):
    p = plugin_factory(sample_plugin_argv)
    stub, _ = p.connect()
    words = " ".join(f"w{i}" for i in range(400_000))  # ~3 MB: several chunks
    head = request(None, None)
    head.left.CopyFrom(pb.Item(logical_path="x.words", size=2))
    head.right.CopyFrom(pb.Item(logical_path="x.words", size=len(words)))

    def messages():
        yield pb.CompareStreamMessage(request=head)
        yield pb.CompareStreamMessage(chunk=pb.ContentChunk(side=pb.ContentChunk.SIDE_LEFT, data=b"w0", last=True))
        data = words.encode()
        for i in range(0, len(data), 1 << 20):
            yield pb.CompareStreamMessage(chunk=pb.ContentChunk(
                side=pb.ContentChunk.SIDE_RIGHT, data=data[i:i + (1 << 20)], last=i + (1 << 20) >= len(data)))

    r = stub.CompareStream(messages(), timeout=30)
    assert r.outcome == pb.CompareResponse.OUTCOME_LEAF
    assert r.node.summary == "399999 words added"


def test_missing_magic_cookie_refuses_to_run(plugin_factory, sample_plugin_argv):
    p = plugin_factory(sample_plugin_argv, {"DELTASCOPE_PLUGIN_MAGIC_COOKIE": None})
    assert p.proc.wait(timeout=10) == 1
    assert b"started by deltascope, not by hand" in p.proc.stderr.read()


def test_no_common_protocol_version(plugin_factory, sample_plugin_argv):
    p = plugin_factory(sample_plugin_argv, {"DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS": "7,8"})
    assert p.handshake.startswith("deltascope-plugin|0|")
    assert p.proc.wait(timeout=10) == 1
    assert b"no common protocol version" in p.proc.stderr.read()
