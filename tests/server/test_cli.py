"""`sp-server` commands as an office administrator uses them (SQLite in a temporary folder)."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from sp_desktop.server import cli, db
from sp_desktop.server.testing import RunningServer, free_port, start_server
from sp_desktop.sync.protocol import PROTOCOL_VERSION, REGISTER_PATH, SYNC_PATH


def run(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main([*args, "--data-dir", str(folder)])
    out, err = capsys.readouterr()
    return code, out, err


def test_setting_up_teams_and_advisers(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, tmp_path, "init")[0] == 0
    assert run(capsys, tmp_path, "init")[0] == 0  # idempotent
    assert (tmp_path / db.SQLITE_NAME).exists()
    assert run(capsys, tmp_path, "team", "add", "North")[0] == 0
    code, _out, err = run(capsys, tmp_path, "team", "add", "North")
    assert code == 1 and "already a team" in err

    secret = tmp_path / "password.txt"
    secret.write_text("long enough secret\n")
    code, out, _ = run(capsys, tmp_path, "adviser", "add", "Ann Adviser", "--team", "North",
                       "--password-file", str(secret))
    assert code == 0 and "long enough secret" not in out
    code, _, err = run(capsys, tmp_path, "adviser", "add", "Bo", "--team", "South",
                       "--password-file", str(secret))
    assert code == 1 and "no team called 'South'" in err

    typed = iter(["another secret!", "another secret!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert run(capsys, tmp_path, "adviser", "add", "Cy", "--team", "North")[0] == 0
    mismatched = iter(["one password", "another one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(mismatched))
    code, _, err = run(capsys, tmp_path, "adviser", "add", "Di", "--team", "North")
    assert code == 1 and "differ" in err

    engine = db.make_engine(db.default_database_url(tmp_path))
    with engine.connect() as conn:
        hashes_ = dict(conn.execute(select(db.advisers.c.name, db.advisers.c.password_hash)).all())
    engine.dispose()
    assert set(hashes_) == {"Ann Adviser", "Cy"}
    assert all(h.startswith("$argon2id$") for h in hashes_.values())
    assert "long enough secret" not in hashes_["Ann Adviser"]


def test_revoking_an_unknown_device_says_so(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, tmp_path, "device", "revoke", "nosuchdevice", "--kind", "lost")
    assert code == 1 and "No active device" in err


def test_directory_import_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entries = [{"id": f"svc{i}", "name": f"Group {i}", "category": "social_activity"}
               for i in range(3)]
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(entries))
    code, out, _ = run(capsys, tmp_path, "directory", "import", str(path))
    assert code == 0 and "3 entries" in out
    path.write_text(json.dumps({"not": "a list"}))
    assert run(capsys, tmp_path, "directory", "import", str(path))[0] == 1


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sp-server test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
            ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_serve_over_tls(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    cert, key = _self_signed(tmp_path)
    url = f"sqlite+pysqlite:///{tmp_path / 'tls.db'}"
    plain = start_server(url, tmp_path)  # sets the database up; then stopped
    plain.add_team("T")
    plain.add_adviser("Tess", "T", "a good password")
    plain.stop()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sp_desktop.server.cli", "serve", "--database-url", url,
         "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = RunningServer(f"https://127.0.0.1:{port}", url, process, tmp_path / "none",
                           tmp_path)
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        for _ in range(200):
            try:
                httpx.get(server.url + "/health", verify=trust)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        with pytest.raises(httpx.ConnectError):  # an unknown certificate is not trusted
            httpx.get(server.url + "/health")
        answer = httpx.post(server.url + REGISTER_PATH, verify=trust, json={
            "protocol": PROTOCOL_VERSION, "adviser": "Tess", "password": "a good password",
            "device_id": "tlsdevice01"})
        token = answer.json()["token"]
        synced = httpx.post(server.url + SYNC_PATH, verify=trust,
                            headers={"Authorization": f"Bearer {token}"},
                            json={"protocol": PROTOCOL_VERSION, "cursor": 0})
        assert synced.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):  # plain HTTP is not served
            httpx.get(f"http://127.0.0.1:{port}/health")
    finally:
        server.stop()


def test_tls_needs_both_certificate_and_key(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, tmp_path, "serve", "--tls-cert", str(tmp_path / "c.pem"))
    assert code == 1 and "go together" in err
