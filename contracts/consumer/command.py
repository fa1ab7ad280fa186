"""Consumer contracts for clients in any language: a driver command spoken to in JSON lines.

The suite starts the command (``node driver.mjs``, ``java -jar driver.jar``, ...) once per adapter
and keeps it running. Over the command's stdin/stdout it asks for a client, calls it, and plays
the client's clock: every wait the client starts comes back as a ``sleep`` message, which the
suite's fake clock records before it lets the driver go on. ``docs/driver-protocol.md`` is the
protocol; ``specmock-driver.mjs`` (:func:`node_kit_path`) implements it around a Node client.

Use it like any adapter::

    class TestNodeBanqerClient(BanqerConsumerContract):
        adapter = BanqerCommandAdapter(["node", "tests/banqer-driver.mjs"])

A failure of the driver itself (it exits, prints something that is not a protocol message, or
does not answer a step within ``step_timeout`` seconds) raises :class:`DriverError` naming the
step. It is a ``BaseException``, like ``KeyboardInterrupt``: neither the contract (which judges
every ``Exception`` the client raises) nor Hypothesis (which would shrink it) takes it for a
broken rule, so it ends the run at once.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from specmock.mocks.descriptor import resolve
from specmock.mocks.registry import descriptor
from specmock.redact import redact_text

from .assine import AssineAdapter
from .banqer import BanqerAdapter
from .fake_server import ClockOverrun
from .pbm import PbmAdapter
from .properties import ContractSuite

__all__ = [
    "AssineCommandAdapter",
    "BanqerCommandAdapter",
    "DriverClient",
    "DriverError",
    "DriverProcess",
    "PbmCommandAdapter",
    "RemoteError",
    "TypedRemoteError",
    "command_adapter",
    "contract_properties",
    "node_kit_path",
    "run_contract",
]

PROTOCOL = 1
#: Seconds the suite waits for each message of a step before it calls the driver hung.
STEP_TIMEOUT = 10.0
_STDERR_LINES = 20


def node_kit_path() -> Path:
    """Where the Node driver kit (``specmock-driver.mjs``) is installed."""
    return Path(str(resources.files(__package__).joinpath("node", "specmock-driver.mjs")))


class DriverError(BaseException):
    """The driver command failed, not the client: it exited, broke the protocol or hung."""

    def __init__(self, step: str, problem: str) -> None:
        self.step, self.problem = step, problem
        super().__init__(f"driver error in step {step!r}: {problem}")


class RemoteError(Exception):
    """An error the driver's client raised that is not one of its own error types.

    Subclasses are made per class name the driver reports, so failures show it (``TypeError``).
    The error's fields (``status``, ``reason``, ...) are attributes, with camelCase names also
    given in snake_case.
    """

    typed: ClassVar[bool] = False

    def __init__(self, class_name: str, message: str, fields: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.class_name = class_name
        for key, value in fields.items():
            setattr(self, key, value)
            snake = "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in key).lstrip("_")
            if snake != key and not hasattr(self, snake):
                setattr(self, snake, value)
        self.message = fields.get("message", message)


class TypedRemoteError(RemoteError):
    """An error of one of the types the driver declared as its client's own."""

    typed = True


_REMOTE_CLASSES: dict[tuple[str, bool], type[RemoteError]] = {}


def _remote_error(payload: Any) -> RemoteError:
    data: dict[str, Any] = payload if isinstance(payload, dict) else {"message": repr(payload)}
    name = str(data.get("class") or "Error")
    typed = bool(data.get("typed"))
    raw = data.get("fields")
    fields: dict[str, Any] = raw if isinstance(raw, dict) else {}
    base = TypedRemoteError if typed else RemoteError
    if not name.isidentifier():
        name = base.__name__
    cls = _REMOTE_CLASSES.get((name, typed))
    if cls is None:
        cls = _REMOTE_CLASSES[(name, typed)] = type(name, (base,), {"__module__": "driver"})
    return cls(name, str(data.get("message", "")), fields)


class DriverProcess:
    """One running driver command; :meth:`request` runs one step of the protocol.

    Started on first use and restarted after a :class:`DriverError`; stopped by :meth:`stop`, when
    the object is collected, or at exit.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        step_timeout: float = STEP_TIMEOUT,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        if not command:
            raise ValueError("the driver command is empty")
        self.command = list(command)
        self.step_timeout = step_timeout
        self.cwd = cwd
        self.env = dict(env or {})
        self.secrets = list(secrets)
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=_STDERR_LINES)
        self._next_id = 0
        self._finalizer: weakref.finalize | None = None
        self._stderr_reader: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        env = {**os.environ, "SPECMOCK_DRIVER_KIT": str(node_kit_path()), **self.env}
        try:
            proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                cwd=self.cwd,
                env=env,
            )
        except OSError as exc:
            raise DriverError("start", f"cannot run {self.command[0]!r}: {exc.strerror or exc}") from None
        self._proc = proc
        self._lines = queue.Queue()
        self._stderr = deque(maxlen=_STDERR_LINES)
        lines = self._lines
        threading.Thread(
            target=_pump, args=(proc.stdout, lines.put, lambda: lines.put(None)), daemon=True
        ).start()
        self._stderr_reader = threading.Thread(
            target=_pump, args=(proc.stderr, self._stderr.append), daemon=True
        )
        self._stderr_reader.start()
        self._finalizer = weakref.finalize(self, _kill, proc)  # also runs at exit
        reply = self.request("start", {"op": "hello", "protocol": PROTOCOL})
        if not isinstance(reply, dict) or reply.get("protocol") != PROTOCOL:
            self.fail("start", f"the driver speaks protocol {reply!r}, not {{'protocol': {PROTOCOL}}}")

    def stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._proc = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- steps -------------------------------------------------------------------------------

    def request(
        self,
        step: str,
        message: Mapping[str, Any],
        *,
        sleep: Callable[[float], None] | None = None,
        now: Callable[[], float] | None = None,
    ) -> Any:
        """Send ``message`` and return its result; a typed or untyped client error is raised as a
        :class:`RemoteError`. ``sleep`` serves the driver's ``sleep`` messages meanwhile."""
        if step != "start":
            self.start()
        self._next_id += 1
        ident = self._next_id
        self._send(step, {"id": ident, **message})
        while True:
            reply = self._receive(step, ident)
            if "sleep" in reply:
                self._serve_sleep(step, ident, reply["sleep"], sleep, now)
                continue
            if "result" in reply:
                return reply["result"]
            if "error" in reply:
                raise _remote_error(reply["error"])
            if "driver_error" in reply:
                self.fail(step, f"the driver reported: {reply['driver_error']}")
            self.fail(step, f"a message with neither result, error nor sleep: {_short(reply)}")

    def _serve_sleep(
        self,
        step: str,
        ident: int,
        seconds: Any,
        sleep: Callable[[float], None] | None,
        now: Callable[[], float] | None,
    ) -> None:
        if sleep is None or now is None:
            self.fail(step, "the driver slept in a step that takes no time")
        assert sleep is not None and now is not None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            self.fail(step, f"a sleep of {seconds!r} seconds")
        try:
            sleep(float(seconds))
        except ClockOverrun:
            # Raised into the client as it would be into a Python one; the driver drops the call.
            self._send(step, {"id": ident, "op": "abort"})
            reply = self._receive(step, ident)
            if reply.get("aborted") is not True:
                self.fail(step, f"expected the call aborted, got {_short(reply)}")
            raise
        self._send(step, {"id": ident, "op": "resume", "now": now()})

    def _send(self, step: str, message: Mapping[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            self.fail(step, "the driver is not running")
        assert proc is not None and proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            self.fail(step, self._exit_text())

    def _receive(self, step: str, ident: int) -> dict[str, Any]:
        deadline = time.monotonic() + self.step_timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.fail(step, f"no answer within {self.step_timeout:g} s")
            if line is None:
                self.fail(step, self._exit_text())
            assert line is not None
            if not line.strip():
                continue
            try:
                reply = json.loads(line)
            except ValueError:
                self.fail(step, f"printed a line that is not JSON: {_short(line)}")
            if not isinstance(reply, dict):
                self.fail(step, f"printed JSON that is not an object: {_short(line)}")
            if reply.get("id") != ident:
                if reply.get("id") is None and "driver_error" in reply:
                    self.fail(step, f"the driver reported: {reply['driver_error']}")
                self.fail(step, f"an answer to message {reply.get('id')!r} while waiting for {ident}")
            return reply

    def _exit_text(self) -> str:
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                code = None
        reader = self._stderr_reader
        if reader is not None and code is not None:
            reader.join(timeout=2.0)  # an exited driver's stderr ends: read its last lines
        said = " | ".join(line.rstrip() for line in self._stderr if line.strip())
        what = f"the driver exited with code {code}" if code is not None else "the driver closed its stdout"
        return what + (f"; stderr: {said}" if said else " (nothing on stderr)")

    def fail(self, step: str, problem: str) -> NoReturn:
        self.stop()
        raise DriverError(step, redact_text(problem, self.secrets))


def _pump(stream: Any, put: Callable[[Any], None], end: Callable[[], None] | None = None) -> None:
    try:
        for line in stream:
            put(line)
    except (OSError, ValueError):
        pass
    finally:
        if end is not None:
            end()


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=1.0)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.rstrip("\n")
    return text if len(text) <= 200 else text[:200] + "..."


@dataclass
class DriverClient:
    """A client living in the driver, known by its handle."""

    driver: DriverProcess
    handle: str
    sleep: Callable[[float], None]
    now: Callable[[], float]

    def call(self, operation: str, args: Mapping[str, Any], step: str) -> Any:
        message = {"op": "call", "client": self.handle, "operation": operation, "args": dict(args)}
        return self.driver.request(step, {**message, "now": self.now()}, sleep=self.sleep, now=self.now)

    def list(self, args: Mapping[str, Any], step: str) -> Any:
        message = {"op": "list", "client": self.handle, "args": dict(args), "now": self.now()}
        return self.driver.request(step, message, sleep=self.sleep, now=self.now)

    def close(self) -> None:
        if self.driver.running:
            self.driver.request("close", {"op": "close", "client": self.handle})


class _CommandAdapter:
    """What the three command adapters share: the driver process and the ``make`` step."""

    api: ClassVar[str]
    error_types: tuple[type[BaseException], ...] = (TypedRemoteError,)
    max_attempts: int
    seed: int | None

    def __init__(
        self,
        command: Sequence[str],
        *,
        max_attempts: int = 3,
        seed: int | None = None,
        step_timeout: float = STEP_TIMEOUT,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.max_attempts = max_attempts
        self.seed = seed
        self.driver = DriverProcess(
            command, step_timeout=step_timeout, cwd=cwd, env=env, secrets=self._secrets()
        )

    def _secrets(self) -> list[str]:
        return [getattr(self, name, "") for name in ("client_secret", "password")]

    def make_client(self, **keywords: Any) -> DriverClient:
        """The API's ``client_keywords`` go to the driver as its config; ``sleep``/``now`` stay
        with the suite's clock. The other keywords the suite adds: JSON values (``max_attempts``)
        go to the driver as they are; the random source (``random``: the suite's ``() -> float``,
        or a ``random.Random``) becomes a ``seed`` drawn from it, so the suite's seed decides the
        driver's jitter too."""
        sleep, now = keywords.pop("sleep"), keywords.pop("now")
        names: tuple[str, ...] = getattr(self, "client_keywords")  # noqa: B009 - the API adapter's
        config = {name: keywords.pop(name) for name in names}
        return self._make(config, sleep, now, keywords)

    def _make(
        self,
        config: dict[str, Any],
        sleep: Callable[[float], None],
        now: Callable[[], float],
        extra: Mapping[str, Any],
    ) -> DriverClient:
        config = {**config, "max_attempts": self.max_attempts}
        if self.seed is not None:
            config["seed"] = self.seed
        for key, value in extra.items():
            if key == "random" and callable(getattr(value, "getrandbits", None)):  # a random.Random
                config.setdefault("seed", value.getrandbits(32))
            elif key == "random" and callable(value):  # the suite's () -> float
                config.setdefault("seed", int(value() * 2**32))
            elif _is_json(value):
                config[key] = value
        reply = self.driver.request("make", {"op": "make", "api": self.api, "config": config, "now": now()})
        handle = reply.get("client") if isinstance(reply, dict) else None
        if not isinstance(handle, str):
            self.driver.fail("make", f"expected {{'client': <handle>}}, got {_short(reply)}")
        return DriverClient(self.driver, str(handle), sleep, now)

    def close(self, client: Any) -> None:
        if isinstance(client, DriverClient):
            client.close()

    def stop(self) -> None:
        """Stop the driver process (it starts again on the next use)."""
        self.driver.stop()


class BanqerCommandAdapter(_CommandAdapter, BanqerAdapter):
    """The Banqer contract through a driver: operation ``get`` ``{path}``, ``list`` ``{path, params}``."""

    api = "banqer"

    def call_get(self, client: DriverClient, path: str) -> Any:
        return client.call("get", {"path": path}, f"call get {path}")

    def list_all(self, client: DriverClient, path: str, params: dict[str, str]) -> list[Any]:
        return client.list({"path": path, "params": params}, f"list {path}")


class PbmCommandAdapter(_CommandAdapter, PbmAdapter):
    """The PBM contract through a driver: operation ``execute`` ``{query, variables}``."""

    api = "pbm"

    def execute(self, client: DriverClient, query: str, variables: dict[str, Any] | None = None) -> Any:
        first = query.strip().split("(")[0].split("{")[0].strip() or "query"
        return client.call("execute", {"query": query, "variables": variables}, f"call execute {first}")


class AssineCommandAdapter(_CommandAdapter, AssineAdapter):
    """The Assine contract through a driver: ``get`` ``{path}``, ``list`` ``{path, params: [[k, v]]}``."""

    api = "assine"

    def call_get(self, client: DriverClient, path: str) -> Any:
        return client.call("get", {"path": path}, f"call get {path}")

    def list_all(self, client: DriverClient, path: str, params: list[tuple[str, str]]) -> list[Any]:
        pairs = [list(pair) for pair in params]
        return client.list({"path": path, "params": pairs}, f"list {path}")


def command_adapter(api: str) -> type[_CommandAdapter]:
    """The command adapter of the registered API ``api`` (its descriptor's ``command_adapter``)."""
    target = descriptor(api).command_adapter
    if target is None:
        raise KeyError(f"the {api} API has no command adapter")
    found: type[_CommandAdapter] = resolve(target)
    return found


def _suite(api: str) -> ContractSuite[Any]:
    target = descriptor(api).consumer
    if target is None:
        raise KeyError(f"the {api} API has no consumer contract")
    suite: ContractSuite[Any] = resolve(target).suite
    return suite


def contract_properties(api: str) -> list[str]:
    """The names of the properties of ``api``'s consumer contract, in the order they run."""
    return list(_suite(api).properties)


def run_contract(api: str, adapter: Any, only: list[str] | None = None) -> None:
    """Run ``api``'s consumer contract (all properties, or those in ``only``) against ``adapter``."""
    _suite(api).run(adapter, only)
