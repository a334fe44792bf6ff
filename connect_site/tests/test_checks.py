"""Production startup checks, run in a subprocess with a production env."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connect_site.settings import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parents[2]
SAFE_SECRET_KEY = "x7Qp2Lr9Vt4Wm8Zk1Nc6Bh3Gf5Dj0Sa-Yu7Ie2Ow9Rt4Ep1Aq6Zx3Cv8Bn5Mk0Lj"
SETUP = "import django; django.setup()"


def production_env(**overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "CONNECT_WEBHOOK_ALLOW_LOOPBACK",
            "REDIS_URL",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="connect_site.settings",
        CONNECT_ENV="production",
        SECRET_KEY=SAFE_SECRET_KEY,
        ALLOWED_HOSTS="connect.example.com",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run_python(args, env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_safe_production_settings_start():
    result = run_python(["-c", SETUP], production_env())

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (
            {"SECRET_KEY": None},
            "SECRET_KEY must be set to a random value of at least 50 characters",
        ),
        (
            {"SECRET_KEY": DEVELOPMENT_SECRET_KEY},
            "SECRET_KEY must be set to a random value of at least 50 characters",
        ),
        (
            {"SECRET_KEY": "short-secret"},
            "SECRET_KEY must be set to a random value of at least 50 characters",
        ),
        ({"DEBUG": "1"}, "DEBUG must be 0"),
        (
            {"CONNECT_WEBHOOK_ALLOW_LOOPBACK": "1"},
            "CONNECT_WEBHOOK_ALLOW_LOOPBACK must be off",
        ),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must name the public host names"),
        (
            {"ALLOWED_HOSTS": "localhost,127.0.0.1"},
            "ALLOWED_HOSTS must name the public host names",
        ),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must not contain '*'"),
    ],
)
def test_unsafe_production_setting_is_refused_and_named(overrides, named):
    result = run_python(["-c", SETUP], production_env(**overrides))

    assert result.returncode != 0
    assert "ImproperlyConfigured: Unsafe production settings:" in result.stderr
    assert named in result.stderr


def test_every_unsafe_setting_is_named_at_once():
    env = production_env(SECRET_KEY=None, DEBUG="1", CONNECT_WEBHOOK_ALLOW_LOOPBACK="1")

    result = run_python(["-c", SETUP], env)

    assert result.returncode != 0
    assert (
        "Unsafe production settings: SECRET_KEY must be set to a random value of "
        "at least 50 characters; DEBUG must be 0; CONNECT_WEBHOOK_ALLOW_LOOPBACK "
        "must be off." in result.stderr
    )


def test_development_defaults_start_without_production_checks():
    env = production_env(CONNECT_ENV=None, SECRET_KEY=None, ALLOWED_HOSTS=None)

    result = run_python(["-c", SETUP], env)

    assert result.returncode == 0, result.stderr


def test_check_deploy_passes_with_safe_production_env():
    result = run_python(
        [
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--tag",
            "security",
        ],
        production_env(),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_has_no_errors_with_safe_production_env():
    result = run_python(["manage.py", "check", "--deploy"], production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "security." not in result.stdout + result.stderr


def test_production_settings_are_https_only():
    script = (
        SETUP + "; from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )

    result = run_python(
        ["-c", script], production_env(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')"
    )
