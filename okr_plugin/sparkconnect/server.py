"""A local Spark Connect server (`okr spark start`), for trying okr on Spark on one machine."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError
from . import DEFAULT_PORT


def spark_home() -> Path:
    try:
        import pyspark
    except ImportError:
        raise StoreError(
            "Spark needs pyspark with Spark Connect: pip install 'okr_plugin[spark]'"
        ) from None
    return Path(pyspark.__file__).parent


def _server_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOG_DIR=str(folder / "logs"),
        SPARK_PID_DIR=str(folder),
        PYSPARK_PYTHON=sys.executable,
    )
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def start_server(
    folder: Path,
    port: int = DEFAULT_PORT,
    memory: str = "2g",
    settings: dict[str, str] | None = None,
) -> str:
    """Start a Spark Connect server on 127.0.0.1 whose tables and metastore live in folder;
    return its URL once it answers. The UI is off and the session time zone UTC; `settings`
    (Spark settings) go over these, but for the driver's Java options, which are added to
    okr's own (the metastore's folder)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise StoreError("Spark needs Java 17 or later (e.g. Debian's openjdk-17-jre-headless)")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    settings = dict(settings or {})
    java = f"-Dderby.system.home={folder} {settings.pop(JAVA_OPTIONS, '')}".strip()
    conf = {
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        # one machine: a few shuffle partitions a core, not a cluster's 200 (a build of the
        # demo takes a sixth less)
        "spark.sql.shuffle.partitions": str(4 * (os.cpu_count() or 1)),
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true"
        ),
        JAVA_OPTIONS: java,
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
    } | settings
    command = [str(spark_home() / "sbin" / "start-connect-server.sh"), "--driver-memory", memory]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    done = subprocess.run(command, env=_server_env(folder), capture_output=True, text=True)
    if done.returncode != 0:
        raise StoreError(f"Spark Connect did not start: {done.stderr.strip() or done.stdout}")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return f"sc://127.0.0.1:{port}"
        if not any(folder.glob("*.pid")):
            break
        time.sleep(0.5)
    logs = sorted((folder / "logs").glob("*.out"))
    tail = logs[-1].read_text(errors="replace").strip().splitlines()[-1:] if logs else []
    stop_server(folder)
    raise StoreError(f"Spark Connect did not answer on port {port}: {' '.join(tail)}")


def stop_server(folder: Path) -> None:
    folder = folder.resolve()
    script = spark_home() / "sbin" / "stop-connect-server.sh"
    subprocess.run([str(script)], env=_server_env(folder), capture_output=True, check=False)


@contextmanager
def server(folder: Path, port: int = DEFAULT_PORT) -> Iterator[str]:
    url = start_server(folder, port)
    try:
        yield url
    finally:
        stop_server(folder)
