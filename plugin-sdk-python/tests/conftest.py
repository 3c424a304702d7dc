"""Fixtures: real SQLite databases and a real plugin process speaking the real protocol."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import grpc
import pytest

from deltascope_plugin._gen.deltascope.plugin.v1 import comparator_pb2_grpc as pb_grpc
from deltascope_plugin._gen.grpc.health.v1 import health_pb2_grpc

HERE = Path(__file__).resolve().parent


def make_db(path: Path, statements) -> Path:
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()
    return path


class PluginProcess:
    """A plugin started as the host starts it: env, a ready pipe named by READY_FD, own socket."""

    def __init__(self, argv, env_overrides=None):
        self.dir = tempfile.mkdtemp(prefix="dsp-")
        self.socket = os.path.join(self.dir, "p.sock")
        read_fd, write_fd = os.pipe()
        env = dict(os.environ, DELTASCOPE_PLUGIN_MAGIC_COOKIE="d3lt4sc0pe-plugin-v1",
                   DELTASCOPE_PLUGIN_SOCKET=self.socket, DELTASCOPE_PLUGIN_PROTOCOL_VERSIONS="1",
                   DELTASCOPE_PLUGIN_READY_FD=str(write_fd), DELTASCOPE_PLUGIN_NAME="test", DELTASCOPE_PLUGIN_INSTANCE="0")
        for k, v in (env_overrides or {}).items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     pass_fds=(write_fd,))
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as ready:
            self.handshake = ready.readline().decode()
        self.channel = None

    def connect(self):
        self.channel = grpc.insecure_channel(f"unix:{self.socket}")
        grpc.channel_ready_future(self.channel).result(timeout=10)
        return pb_grpc.ComparatorStub(self.channel), health_pb2_grpc.HealthStub(self.channel)

    def close(self):
        if self.channel is not None:
            self.channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def plugin_factory():
    started = []

    def start(argv, env_overrides=None):
        p = PluginProcess(argv, env_overrides)
        started.append(p)
        return p

    yield start
    for p in started:
        p.close()


@pytest.fixture
def sample_plugin_argv():
    return [sys.executable, str(HERE / "sample_plugin.py")]
