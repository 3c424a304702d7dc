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


def test_listen_mode_serves_on_the_address_without_a_host(sample_plugin_argv, tmp_path):
    """An attached plugin: DELTASCOPE_PLUGIN_LISTEN, no cookie, no handshake; SIGTERM stops it."""
    import signal
    import subprocess

    sock = tmp_path / "listen.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTASCOPE_")}
    bad = subprocess.run(sample_plugin_argv, env=dict(env, DELTASCOPE_PLUGIN_LISTEN="http://x"),
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
    assert "must be unix:///absolute/path or host:port" in bad.stderr
    proc = subprocess.Popen(sample_plugin_argv, env=dict(env, DELTASCOPE_PLUGIN_LISTEN=f"unix://{sock}"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        channel = grpc.insecure_channel(f"unix:{sock}")
        grpc.channel_ready_future(channel).result(timeout=20)
        from deltascope_plugin._gen.deltascope.plugin.v1 import comparator_pb2_grpc as pb_grpc
        from deltascope_plugin._gen.grpc.health.v1 import health_pb2_grpc
        assert health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest()).status == \
            health_pb2.HealthCheckResponse.SERVING
        stub = pb_grpc.ComparatorStub(channel)
        assert stub.Describe(pb.DescribeRequest(host_protocol_versions=[1])).name == "words-test"
        # Content streamed, as the host does for attached plugins.
        head = pb.CompareStreamMessage(request=pb.CompareRequest(
            comparator="words", path="x.words", left=pb.Item(logical_path="x.words", size=3),
            right=pb.Item(logical_path="x.words", size=5)))
        chunks = [head,
                  pb.CompareStreamMessage(chunk=pb.ContentChunk(side=pb.ContentChunk.SIDE_LEFT, data=b"a b",
                                                                last=True)),
                  pb.CompareStreamMessage(chunk=pb.ContentChunk(side=pb.ContentChunk.SIDE_RIGHT, data=b"a b c",
                                                                last=True))]
        r = stub.CompareStream(iter(chunks), timeout=10)
        assert r.node.summary == "1 words added"
        channel.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert b"attached mode" in proc.stderr.read()
        assert not sock.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_compare_pipe_is_offered_and_answers_every_call_by_id(plugin_factory, sample_plugin_argv, tmp_path):
    """Many calls on one ComparePipe stream: each answered once, by id; errors stay per call; the
    replies are the ones Compare gives."""
    p = plugin_factory(sample_plugin_argv)
    stub, _ = p.connect()
    d = stub.Describe(pb.DescribeRequest(host_protocol_versions=[1]))
    assert list(d.capabilities) == [pb.CAPABILITY_COMPARE_PIPE]
    a, b = write(tmp_path, "a.words", "x y"), write(tmp_path, "b.words", "x y z w")
    boom = write(tmp_path, "boom.words", "explode")
    calls = {}
    for i in range(60):
        req = request(a, boom if i % 10 == 3 else b if i % 2 else a)
        if i == 7:
            req.comparator = "nope"
        calls[i + 1] = req
    messages = [pb.ComparePipeRequest(calls=[pb.PipeCall(id=i, request=calls[i]) for i in ids])
                for ids in (range(1, 21), range(21, 61))]
    replies = {}
    for message in stub.ComparePipe(iter(messages), timeout=30):
        for reply in message.replies:
            assert reply.id not in replies
            replies[reply.id] = reply
    assert sorted(replies) == list(range(1, 61))
    for i, req in calls.items():
        reply = replies[i]
        if req.comparator == "nope":
            assert reply.code == grpc.StatusCode.UNIMPLEMENTED.value[0]
        elif req.right.path == boom:
            assert reply.code == grpc.StatusCode.INTERNAL.value[0]
            assert "RuntimeError: asked to explode" in reply.message
        else:
            assert reply.code == 0
            assert reply.response == stub.Compare(req, timeout=10)


def test_compare_pipe_can_be_turned_off(plugin_factory, sample_plugin_argv, tmp_path):
    p = plugin_factory(sample_plugin_argv, {"SAMPLE_NO_PIPE": "1"})
    stub, _ = p.connect()
    assert list(stub.Describe(pb.DescribeRequest(host_protocol_versions=[1])).capabilities) == []
    with pytest.raises(grpc.RpcError) as err:
        list(stub.ComparePipe(iter([pb.ComparePipeRequest()]), timeout=10))
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
