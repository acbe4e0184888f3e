"""A throwaway Apache Superset for the test session: its own virtual environment (cached between
runs), a SQLite metadata database in a temporary folder, gunicorn on 127.0.0.1, its REST API.

Superset 6.1 pins SQLAlchemy 1.4 and DuckDB 1.5, so it cannot share the project's environment;
it lives in ~/.cache/okr_plugin/superset-6.1.0 (or $OKR_SUPERSET_HOME), installed on first use
(about 100 s) and reused after. A marker file says the install finished. The metadata database
its first server makes (migrated, an admin, the roles) is kept there too and copied by the next.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from postgres import spare_port

VERSION = "6.1.0"
PACKAGES = [
    f"apache-superset[duckdb,postgres]=={VERSION}",
    "flask-caching<2.5",
    "rich",
    "cachetools",
]
ADMIN = ("admin", "admin-password")
# Lets anonymous visitors (the browser) read every dataset; `superset init` resets the role.
GRANT_PUBLIC = """
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset import security_manager as sm
    from superset.extensions import db
    access = sm.find_permission_view_menu("all_datasource_access", "all_datasource_access")
    sm.add_permission_role(sm.find_role("Public"), access)
    db.session.commit()
"""


def superset_home() -> Path:
    default = Path.home() / ".cache" / "okr_plugin" / f"superset-{VERSION}"
    return Path(os.environ.get("OKR_SUPERSET_HOME") or default)


def install() -> Path:
    """The virtual environment with Superset; installed when missing or unfinished."""
    venv = superset_home() / "venv"
    marker = venv / "okr-installed.json"
    wanted = json.dumps(PACKAGES)
    if marker.exists() and marker.read_text() == wanted:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *PACKAGES],
        check=True,
    )
    marker.write_text(wanted)
    return venv


class SupersetServer:
    def __init__(self) -> None:
        self.venv = install()
        self.base = Path(tempfile.mkdtemp(prefix="okr-superset-"))
        self.port = spare_port()
        self.address = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.token: str | None = None
        self.csrf: str | None = None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        # the metadata database, migrated and with its admin and roles, made by the first start
        # and copied by the next (four `superset` commands, about 25 s of a core), with its key
        self.template = self.venv / "okr-metadata.db"
        key = self.venv / "okr-metadata.key"
        if not key.exists():
            key.write_text(secrets.token_hex(32))
        config = self.base / "superset_config.py"
        config.write_text(
            f"SECRET_KEY = {key.read_text()!r}\n"
            f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{self.base / 'superset.db'}'\n"
            # Anyone may look (the Public role, granted every dataset below), so the browser
            # needs no login; the server lives for one test run. ('Admin' here would make the
            # API ignore the admin's token, and imports through it would fail.)
            "PUBLIC_ROLE_LIKE = 'Public'\n"
            "TALISMAN_ENABLED = False\n"
        )
        self.env = {
            **os.environ,
            "SUPERSET_CONFIG_PATH": str(config),
            "SUPERSET_HOME": str(self.base / "home"),
            "FLASK_APP": "superset",
        }

    def superset(self, *args: str) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "superset"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"superset {args[0]} failed: {done.stderr[-3000:]}")
        return done.stdout + done.stderr

    def start(self) -> SupersetServer:
        database = self.base / "superset.db"
        if self.template.exists():
            shutil.copyfile(self.template, database)
        else:
            self._initialise()
            partial = self.template.with_suffix(".partial")
            shutil.copyfile(database, partial)
            partial.rename(self.template)
        log = (self.base / "gunicorn.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(self.venv / "bin" / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--no-control-socket",
                "superset.app:create_app()",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.address}/health", timeout=5) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"Superset did not start: {(self.base / 'gunicorn.log').read_text()}")

    def _initialise(self) -> None:
        """The metadata database: migrated, an admin, the roles, the Public role's access."""
        self.superset("db", "upgrade")
        user, password = ADMIN
        self.superset(
            "fab",
            "create-admin",
            "--username",
            user,
            "--password",
            password,
            "--firstname",
            "okr",
            "--lastname",
            "tests",
            "--email",
            "admin@example.com",
        )
        self.superset("init")
        subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", GRANT_PUBLIC],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=300,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.base, ignore_errors=True)

    def import_bundle(self, bundle: Path) -> None:
        """`superset import-dashboards`: creates what is new; of what exists (same uuid) it
        updates the dashboards only."""
        output = self.superset("import-dashboards", "-p", str(bundle), "-u", ADMIN[0])
        if "error" in output.lower():
            raise RuntimeError(f"import of {bundle.name} failed: {output[-3000:]}")

    def import_assets(self, bundle: Path) -> None:
        """Import through the REST API (what Superset's UI does): it overwrites everything of
        the same uuid, the database's URI included."""
        boundary = secrets.token_hex(16)
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="bundle";'
            f' filename="{bundle.name}"\r\nContent-Type: application/zip\r\n\r\n'.encode()
            + bundle.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, answer = self.request(
            "POST", "/api/v1/assets/import/", body, f"multipart/form-data; boundary={boundary}"
        )
        if status != 200:
            raise RuntimeError(f"import of {bundle.name} through the API failed: {answer}")

    def _login(self) -> None:
        user, password = ADMIN
        login = {"username": user, "password": password, "provider": "db", "refresh": True}
        _, answer = self.request("POST", "/api/v1/security/login", login)
        self.token = answer["access_token"]
        self.csrf = self.get("/api/v1/security/csrf_token/")["result"]

    def request(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        """A REST call as the admin user; the status and the decoded JSON answer."""
        if self.token is None and path != "/api/v1/security/login":
            self._login()
        headers = {}
        if body is not None:
            headers["Content-Type"] = content_type
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        call = urllib.request.Request(self.address + path, body, headers, method=method)
        try:
            with self.opener.open(call, timeout=120) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as err:
            text = err.read().decode(errors="replace")
            try:
                return err.code, json.loads(text)
            except ValueError:
                return err.code, text

    def get(self, path: str) -> Any:
        status, answer = self.request("GET", path)
        if status != 200:
            raise AssertionError(f"GET {path}: {status} {answer}")
        return answer
