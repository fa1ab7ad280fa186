"""Reading a config file with limits: what a hostile or mistaken file can cost is bounded.

- Only a regular file is read (a FIFO, a device such as ``/dev/zero`` or a directory is refused
  without being opened, so a FIFO never waits for a writer).
- At most :data:`MAX_CONFIG_BYTES` are read; a larger file is refused.
- YAML aliases (``*name``, and so ``<<`` merges) are refused: a few hundred bytes of nested
  aliases would otherwise expand to gigabytes. Duplicate keys are refused: YAML would keep the
  last one silently. Nesting deeper than Python's stack, and integers too long to convert, are
  refused too.
- Every problem is a :class:`ConfigError` whose message is one line of at most
  :data:`MAX_ERROR_CHARS` characters.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_CONFIG_BYTES", "MAX_ERROR_CHARS", "MAX_INTEGER_BITS", "SEED_MAX", "SEED_MIN", "ConfigError",
    "one_line", "oversized_integer", "read_yaml_file",
]

#: Largest config file read, in bytes.
MAX_CONFIG_BYTES = 1 << 20
#: Longest error message, in characters.
MAX_ERROR_CHARS = 300


def one_line(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with a visible ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ConfigError(ValueError):
    """A config file that cannot be used; the message is one readable line."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _regular(path: Path, mode: int, size: int) -> None:
    if not stat.S_ISREG(mode):
        raise ConfigError(f"{path}: {_kind(mode)}, not a regular file; give a YAML file")
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: {size} bytes, larger than the {MAX_CONFIG_BYTES} bytes a config file may have")


def read_text(path: Path) -> str:
    """The file's text: a regular file of at most :data:`MAX_CONFIG_BYTES`, UTF-8."""
    try:
        # Judged before opening: opening a FIFO for reading waits for a writer, forever.
        info = path.stat()
        _regular(path, info.st_mode, info.st_size)
        with path.open("rb") as file:
            info = os.fstat(file.fileno())  # the file opened is the one judged
            _regular(path, info.st_mode, info.st_size)
            data = file.read(MAX_CONFIG_BYTES + 1)  # it may have grown since
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than the {MAX_CONFIG_BYTES} bytes a config file may have")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None


#: Largest magnitude of an integer anywhere in a config: beyond it, even printing the number in an
#: error message fails (Python converts at most 4,300 digits), and no setting takes one that large.
MAX_INTEGER_BITS = 64
#: Seeds are 64-bit signed integers, in a config file and on the command line alike.
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1


def oversized_integer(data: Any) -> str | None:
    """Where (``a.b.0``) ``data`` holds an integer of more than :data:`MAX_INTEGER_BITS` bits, if it does."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, int) and not isinstance(value, bool):
            if value.bit_length() > MAX_INTEGER_BITS:
                return where or "top level"
        elif isinstance(value, dict):
            stack.extend((f"{where}.{key}" if where else str(key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{where}.{index}" if where else str(index), item)
                         for index, item in enumerate(value))
    return None


def _loader(text: str) -> Any:
    import yaml

    class LimitedLoader(yaml.SafeLoader):
        """PyYAML's safe loader without aliases and without duplicate keys."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.events.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None,
                    f"YAML aliases (*{event.anchor}) are not accepted in a config file; "
                    "write the value out", event.start_mark)
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        duplicate = key in seen
                        seen.add(key)
                    except TypeError:  # an unhashable key: the base class says so
                        continue
                    if duplicate:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key!r}", key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

    return LimitedLoader(text)


def read_yaml_file(path: str | Path) -> Any:
    """The parsed YAML document of ``path``, read within the limits above."""
    import yaml

    file = Path(path)
    text = read_text(file)
    loader = _loader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file}: invalid YAML: {where}{problem}") from None
    except RecursionError:
        raise ConfigError(f"{file}: invalid YAML: nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise ConfigError(f"{file}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
