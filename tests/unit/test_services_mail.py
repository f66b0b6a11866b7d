"""The `mail` engine of `emporium services`: aiosmtpd from our venv, delivering into a
Maildir, and the variables it writes for tests and the platform."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from emporium.services import REGISTRY, ServiceContext, build
from emporium.services.envfiles import write_env_files
from emporium.services.install import Installer
from emporium.services.mail import MailService


def test_mail_runs_aiosmtpd_on_loopback_into_its_maildir(tmp_path: Path) -> None:
    ctx = ServiceContext(tmp_path, Installer(allow_install=False), print)
    service = MailService(ctx)
    argv = service.prepare().argv
    assert argv[:3] == [str(ctx.python), "-m", "aiosmtpd"]
    assert argv[argv.index("--listen") + 1] == "127.0.0.1:52525"
    assert argv[argv.index("--class") + 1] == "aiosmtpd.handlers.Mailbox"
    assert argv[-1] == str(tmp_path / "mail" / "maildir")
    ports = [port for cls in REGISTRY.values() for port in (cls.port, *cls.extra_ports)]
    assert ports.count(52525) == 1


def _sourced(path: Path, variable: str) -> str:
    script = f'. {shlex.quote(str(path))} && printf %s "${variable}"'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout


def test_env_files_point_tests_and_the_platform_at_the_smtp_server(tmp_path: Path) -> None:
    ctx = ServiceContext(tmp_path, Installer(allow_install=False), print)
    test_env, real_env = write_env_files(tmp_path, build(ctx, ["mail"]))
    assert _sourced(test_env, "EMPORIUM_TEST_SMTP_URL") == "smtp://127.0.0.1:52525"
    assert _sourced(test_env, "EMPORIUM_TEST_SMTP_MAILDIR") == str(tmp_path / "mail" / "maildir")
    assert _sourced(real_env, "EMPORIUM_MAIL__URL") == "smtp://127.0.0.1:52525"
    assert "MAILDIR" not in real_env.read_text()
