"""Hostile config files cost little and get one short line: alias bombs, FIFOs, devices, huge files,
huge or hex seeds, duplicate keys, deep nesting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.config import ConfigError, load_config, parse_config
from specmock.mocks.config_file import MAX_CONFIG_BYTES, MAX_ERROR_CHARS, one_line

#: Nine levels of nine aliases each: 9**9 (387 million) strings once expanded, from about 600 bytes.
ALIAS_BOMB = (
    "\n".join(
        ['a: &a ["x","x","x","x","x","x","x","x","x"]']
        + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
    )
    + "\nbanqer:\n  tenants:\n    t:\n      clients:\n        c: {secret: s, scopes: *i}\n"
)


def refused(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and len(message) <= MAX_ERROR_CHARS, message
    return message


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mock.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    assert len(ALIAS_BOMB) < 700
    message = refused(write(tmp_path, ALIAS_BOMB))
    assert "alias" in message and "line 2" in message


def test_a_single_alias_is_refused_too(tmp_path: Path) -> None:
    text = "pbm:\n  accounts:\n    a: &p {password: x}\n    b: *p\n"
    assert "aliases (*p)" in refused(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("seed: 1\nseed: 2\n", "'seed'"),
        ("pbm:\n  accounts:\n    a: {password: x}\n    a: {password: y}\n", "'a'"),
        ("pbm: {token_ttl: 5, token_ttl: 6}\n", "'token_ttl'"),
    ],
)
def test_duplicate_keys_are_refused_with_their_line(tmp_path: Path, text: str, key: str) -> None:
    message = refused(write(tmp_path, text))
    assert f"duplicate key {key}" in message and "line " in message


def test_a_five_thousand_digit_seed_is_one_line(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "seed: " + "7" * 5000 + "\n"))
    assert "mock.yaml" in message


def test_a_hex_seed_beyond_64_bits_is_refused_by_the_schema(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "seed: 0x" + "f" * 4000 + "\n"))
    assert "seed" in message and "out of range" in message


def test_a_64_bit_seed_is_accepted(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, f"seed: {2**63 - 1}\n")).seed == 2**63 - 1


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"journal_size": 10**12}, "journal_size"),
        ({"max_body_bytes": 2**40}, "max_body_bytes"),
        ({"journal_bytes": 2**40}, "journal_bytes"),
        ({"pbm": {"rate_limit": {"limit": 10**15, "per_seconds": 1}}}, "pbm.rate_limit.limit"),
        ({"banqer": {"token_ttl": 10**10}}, "banqer.token_ttl"),
        ({"assine": {"seeded_users": 10**9}}, "assine.seeded_users"),
    ],
)
def test_integers_are_bounded_by_the_schema(data: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError, match=where):
        parse_config(data)


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, "# " + "x" * MAX_CONFIG_BYTES + "\n")
    assert "larger than" in refused(path)


def test_deep_nesting_is_one_line(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "seed: " + "[" * 100_000 + "]" * 100_000 + "\n"))
    assert "mock.yaml" in message


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    assert "a directory" in refused(tmp_path)


def test_dev_zero_is_refused_without_reading_it() -> None:
    assert "a device" in refused(Path("/dev/zero"))


def run_serve(config: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specmock", "serve", "--port", "0", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "mock.yaml"
    os.mkfifo(fifo)
    result = run_serve(fifo)  # a hang would raise TimeoutExpired
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "FIFO" in lines[0] and lines[0].startswith("specmock: ")


def test_the_alias_bomb_through_the_cli_is_one_short_line(tmp_path: Path) -> None:
    result = run_serve(write(tmp_path, ALIAS_BOMB))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) <= MAX_ERROR_CHARS + 20 and "Traceback" not in result.stderr


def test_ctrl_c_while_the_config_is_read_stops_the_command(tmp_path: Path) -> None:
    # A large document of many small mappings takes seconds to parse: the interrupt lands meanwhile.
    path = write(tmp_path, "".join(f"k{i}: {{a: 1}}\n" for i in range(30_000)))
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys, time; from specmock.cli import main; "
            "print('ready', flush=True); sys.exit(main(sys.argv[1:]))",
            "serve",
            "--port",
            "0",
            "--config",
            str(path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    # Either the interrupt landed while reading (exit 130, one line), or the file was read by then and
    # refused (exit 2): never a server left running, never a traceback.
    assert process.returncode in (2, 130), (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@given(st.text(max_size=2000))
def test_one_line_is_one_line_and_short(text: str) -> None:
    line = one_line(text)
    assert "\n" not in line and "\r" not in line and len(line) <= MAX_ERROR_CHARS
    if len(" ".join(text.split())) <= MAX_ERROR_CHARS:
        assert line == " ".join(text.split())
