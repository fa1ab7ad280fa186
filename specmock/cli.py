"""The ``specmock`` command line: ``serve`` the mocks, list and check the ``specs``, ``verify`` a server,
run a consumer ``contract`` against a driver command.

Every failure the user can cause (a wrong flag, a broken config or spec file, a port in use)
is answered with one readable line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specmock import __version__

if TYPE_CHECKING:
    import threading

    import uvicorn
    from starlette.applications import Starlette

    from specmock.mocks.config import MockConfig

__all__ = ["EXIT_USAGE", "build_parser", "main"]

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, describe: Callable[[], str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A description that reads the registry's contract side is written only for --help, so
        # that the other commands never import it.
        self._describe = describe

    def format_help(self) -> str:
        if self._describe is not None:
            self.description, self._describe = self._describe(), None
        return super().format_help()

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"specmock: {message} (see '{self.prog} --help')\n")


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value!r}: expected a number from 0 to 65535")
    return int(value)


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(
            f"invalid value {value!r}: expected a whole number of seconds, at least 1"
        )
    return int(value)


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"invalid count {value!r}: expected a whole number, at least 1")
    return int(value)


def _shown(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _seed(value: str) -> int:
    from specmock.mocks.config_file import SEED_MAX, SEED_MIN

    text = value.strip().lstrip("+-")
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not SEED_MIN <= int(value) <= SEED_MAX:
        raise argparse.ArgumentTypeError(
            f"invalid seed {_shown(value)}: expected an integer from {SEED_MIN} to {SEED_MAX}")
    return int(value)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"invalid value {_shown(value)}: expected seconds from 0 to 3600")
    return seconds


def _host_name(value: str) -> str:
    from specmock.mocks.core.hosts import host_name

    name = host_name(value)
    if not name:
        raise argparse.ArgumentTypeError(f"invalid host name {_shown(value)}")
    return name


def _verifiable_apis() -> tuple[str, ...]:
    """The registered APIs the provider suite can verify, in registry order."""
    from specmock.mocks.registry import descriptors

    return tuple(d.name for d in descriptors() if d.provider is not None)


def _contract_apis() -> tuple[str, ...]:
    """The registered APIs whose consumer contract runs against a driver command, in registry order."""
    from specmock.mocks.registry import descriptors

    return tuple(d.name for d in descriptors() if d.consumer is not None and d.command_adapter is not None)


def _proxied_apis() -> tuple[str, ...]:
    from specmock.mocks.proxy.upstreams import api_names

    return api_names()


def _one_of(names: Sequence[str], last: str = "or") -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def _verify_description() -> str:
    """``specmock verify --help``'s description, its variables read from each API's provider plan."""
    from specmock.contracts.provider.plan import plan_for

    plans = [plan_for(name)[1] for name in _verifiable_apis()]
    urls = [url.env for plan in plans for url in plan.urls]
    logins = []
    for plan in plans:
        own = [c.name for c in plan.credentials if not c.public]
        public = [c.name for c in plan.credentials if c.public]
        if own or public:
            logins.append(", ".join(own) + (f" ({', '.join(public)})" if public else ""))
    return (
        "Generate requests from the specs (positive, negative, coverage and stateful), send them "
        "to the server with tokens from each API's own login, and check every answer with schemathesis. "
        "Exit 0 only when every check holds. --base-url is the root of a server with the mock's layout "
        f"(e.g. http://127.0.0.1:8080 for 'specmock serve'); the per-API variables {_one_of(urls, 'and')} "
        f"point at other hosts. Credentials come from {', '.join(logins)}; on a loopback address "
        "the mock's demo credentials are used for any that are unset."
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="specmock",
        description="Spec-driven mock servers and contract tests for Banqer, Funcional PBM "
        "and Assine Online.",
        epilog="Run 'specmock COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"specmock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    serve = commands.add_parser(
        "serve",
        help="run the stateful mock of all three APIs on one port",
        description="Run the mock server: Banqer (API and OIDC realm), Funcional PBM and Assine Online "
        "on one port, plus the admin API under /__mock__. Prints every base URL and the demo credentials.",
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=_port, default=8080,
                       help="port to bind, 0 for any free one (default: 8080)")
    serve.add_argument("--seed", type=_seed, default=None,
                       help="seed of the generated data (same seed, same data)")
    serve.add_argument("--config", type=Path, default=None, metavar="FILE",
                       help="YAML file adding tenants, clients, accounts, token lifetimes and rate limits")
    serve.add_argument("--token-ttl", type=_positive_int, default=None, metavar="S",
                       help="lifetime in seconds of every token issued "
                       "(default: 300 Banqer, 3600 PBM, 86400 Assine)")
    admin = serve.add_mutually_exclusive_group()
    admin.add_argument("--no-admin", action="store_true",
                       help="switch off every mock-only control: the admin API (/__mock__), "
                       "'Prefer: code=NNN' and Assine's signing hooks — for shared environments")
    admin.add_argument("--admin", action="store_true",
                       help="serve the admin API even when --host is not loopback (off there by default)")
    serve.add_argument("--allowed-host", action="append", type=_host_name, default=[], metavar="NAME",
                       help="a host name this server is reached by, besides loopback and --host "
                       "(repeatable): the admin API refuses other Host headers, Banqer tokens must "
                       "be issued under one of them")
    serve.add_argument("--max-connections", type=_count, default=None, metavar="N",
                       help="connections served at once; past it requests get 503 "
                       "(default: 1000, fewer under a low 'ulimit -n')")
    serve.add_argument("--shutdown-grace", type=_seconds, default=5.0, metavar="S",
                       help="seconds in-flight requests get to finish on Ctrl-C or SIGTERM; "
                       "requests still running then are answered 503 (default: 5)")

    specs = commands.add_parser(
        "specs",
        help="list the bundled specs, or check spec files",
        description="With no FILE, list the bundled specs. With FILEs, check each one "
        "(OpenAPI with openapi-spec-validator, GraphQL SDL with graphql-core, JSON Schema "
        "with jsonschema) and exit 1 if any is broken.",
    )
    specs.add_argument("files", nargs="*", type=Path, metavar="FILE", help="spec files to check")

    verify = commands.add_parser(
        "verify",
        help="check a server against the specs (provider contract suite, schemathesis)",
        describe=_verify_description,
    )
    verify.add_argument("--api", choices=(*_verifiable_apis(), "all"), default="all",
                        help="which API to verify (default: all)")
    verify.add_argument("--base-url", default=None, metavar="URL",
                        help="root URL of the server, e.g. http://127.0.0.1:8080")
    verify.add_argument("--max-examples", type=_count, default=None, metavar="N",
                        help="generated requests per operation, valid and invalid mixed (default: 25)")
    verify.add_argument("--seed", type=_seed, default=None, help="seed of the generated requests (reported)")
    verify.add_argument("--report", type=Path, default=None, metavar="FILE",
                        help="also write the report to FILE (JSON when it ends in .json)")
    verify.add_argument("--operation", action="append", default=None, metavar="NAME",
                        help="only this operation, by label ('GET /v1/fichas') or operationId (repeatable)")
    verify.add_argument("--no-stateful", action="store_true", help="skip the stateful runs and scenarios")
    verify.add_argument("--timeout", type=_positive_int, default=10, metavar="S",
                        help="seconds to wait for each answer (default: 10)")
    _add_contract_command(commands)
    _add_proxy_parser(commands)
    return parser


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: File name endings a spec can have; anything else given to ``specmock specs`` is not checked.
_SPEC_SUFFIXES = (".yaml", ".yml", ".json", ".graphql", ".gql")


def _cmd_specs(args: argparse.Namespace) -> int:
    from specmock.mocks.registry import descriptors
    from specmock.spec_check import SpecProblem, check_spec

    if not args.files:
        for spec in (spec for d in descriptors() for spec in d.specs):
            print(f"{spec.file_name:32} {spec.path}")
        return 0
    status = 0
    # ``specmock specs DIR/*`` names everything in the folder: what cannot be a spec is passed over.
    files = [file for file in args.files if file.suffix in _SPEC_SUFFIXES and not file.is_dir()]
    if not files:
        print(f"specmock: no spec file among the arguments (looked for {', '.join(_SPEC_SUFFIXES)})",
              file=sys.stderr)
        return 1
    for file in files:
        try:
            kind = check_spec(file)
        except SpecProblem as exc:
            print(f"specmock: {exc}", file=sys.stderr)
            status = 1
        else:
            print(f"{file}: valid {kind}")
    return status


def _cmd_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    try:  # before the handlers below: Ctrl-C while a config file is read stops at once
        from specmock.mocks.config import ConfigError, MockConfig, load_config

        config = load_config(args.config) if args.config else MockConfig()
    except ConfigError as exc:
        print(f"specmock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("specmock: interrupted while reading the config file", file=sys.stderr)
        return 130
    if threading.current_thread() is not threading.main_thread():  # no signal handlers there
        return _serve(args, config, threading.Event())
    # Until uvicorn listens for Ctrl-C and SIGTERM itself, either only asks to stop. A
    # KeyboardInterrupt raised wherever the start happens to be can be swallowed (inside a finalizer
    # or a weakref callback), and the server would go on running. uvicorn raises the signal again
    # once it has stopped: it lands here too, so the stop ends with "stopped" and exit code 0.
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _serve(args, config, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(args: argparse.Namespace, config: MockConfig, stop: threading.Event) -> int:
    import threading
    from dataclasses import replace

    from specmock.mocks.connections import ConnectionLimits, default_max_connections
    from specmock.mocks.server import bind_socket, run_server

    if args.seed is not None:
        config = replace(config, seed=args.seed)
    if args.token_ttl is not None:
        config = config.with_token_ttl(args.token_ttl)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"specmock: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    from specmock.mocks import create_app, create_state

    loopback = _is_loopback(args.host)
    admin = not args.no_admin and (loopback or args.admin)
    app = create_app(create_state(config), admin=admin, allowed_hosts=[args.host, *args.allowed_host])
    host, port = sock.getsockname()[:2]
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    if not loopback:
        exposed = ("the admin API (/__mock__: reset, faults, clock, token expiry, rate limits and the "
                   "request journal) is open to them too" if admin else
                   "the admin API is off here (--admin serves it)" if not args.no_admin else
                   "the admin API is off (--no-admin)")
        print(f"specmock: WARNING: listening on {args.host}, reachable from other machines; "
              f"the mock accepts demo credentials and has no real security; {exposed}", file=sys.stderr)
    print(f"specmock {__version__} serving on {base}  (Ctrl-C stops)")
    sys.stdout.flush()
    # The APIs are built in the background once the server listens; the rest of the banner (which
    # reads each API) follows when they are.
    warming = threading.Thread(target=_warm_up_and_print_banner, args=(app, base, admin),
                               name="specmock-warm-up", daemon=True)

    def started(server: uvicorn.Server) -> None:
        if stop.is_set():  # Ctrl-C before uvicorn listened for it
            server.should_exit = True
        else:
            warming.start()

    limits = ConnectionLimits(max_connections=args.max_connections or default_max_connections(),
                              grace=args.shutdown_grace)
    if not stop.is_set():
        run_server(app, sock, on_started=started, limits=limits)
    if warming.is_alive():  # stopped while warming up: the banner is still printed whole, before "stopped"
        warming.join(timeout=30)
    print("specmock: stopped", flush=True)
    return 0


def _warm_up_and_print_banner(app: Starlette, base: str, admin: bool) -> None:
    """Build every API now (so that first requests need not), then print the rest of the banner."""
    from specmock.mocks import warm_up

    warm_up(app)
    lines = [line for hosted in app.state.mock.apis.hosted() if hosted.api is not None
             for line in hosted.api.banner(base)]
    if admin:
        lines.append(f"admin API       {base}/__mock__/  "
                     "(reset, faults, clock/advance, tokens/expire, rate-limit, requests)")
        lines.append(f"mock page       {base}/__mock__/  (open in a browser: live requests, why, faults)")
    print("".join(f"  {line}\n" for line in lines), end="", flush=True)


#: Generated requests per operation when --max-examples is not given (the kit's own "dev" profile).
VERIFY_DEFAULT_EXAMPLES = 25


def _cmd_verify(args: argparse.Namespace) -> int:
    from specmock.contracts.provider import TargetError, verify

    try:
        report = verify(
            args.api,
            args.base_url,
            max_examples=args.max_examples or VERIFY_DEFAULT_EXAMPLES,
            seed=args.seed,
            stateful=not args.no_stateful,
            timeout=float(args.timeout),
            operations=args.operation,
        )
    except (TargetError, ValueError) as exc:
        print(f"specmock: {exc}" if not str(exc).startswith("specmock:") else str(exc), file=sys.stderr)
        return EXIT_USAGE
    print(report.render())
    if args.report is not None:
        try:
            report.write(args.report)
        except OSError as exc:
            reason = exc.strerror or exc
            print(f"specmock: cannot write the report to {args.report}: {reason}", file=sys.stderr)
            return 1
    return report.exit_code


#: The proxy's default port: next to the mock's, so both can run at once.
PROXY_DEFAULT_PORT = 8081
EXIT_DRIFT = 1


def _add_proxy_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    proxy = commands.add_parser(
        "proxy",
        help="forward your app's traffic to the real APIs and report where they drift from the specs",
        description="Serve the mock's paths (/banqer/{tenant}, /banqer-auth, /pbm, /assine) and forward each "
        "request unchanged to the upstream given for its API; check every request and answer against the "
        "specs and report the disagreements (drift) per operation and per spec assumption. The report is "
        "served at /__mock__/drift while the proxy runs and written on exit with --report. Upstream "
        "failures are answered 502/504 in the API's own error shape and are not drift.",
        epilog="example: specmock proxy --api banqer --upstream 'https://api-{tenant}.banqer.com.br' "
        "--api banqer-auth --upstream https://auth.banqer.com.br --report drift.json --fail-on drift",
    )
    proxied = _proxied_apis()
    proxy.add_argument("--api", action="append", default=[], metavar="API", choices=proxied,
                       help=f"an API to proxy: {_one_of(proxied)} (repeatable; "
                       "each with its own --upstream, in the same order)")
    proxy.add_argument("--upstream", action="append", default=[], metavar="URL",
                       help="base URL of that API on the real server, standing for its mount path; "
                       "may use {tenant} for banqer (e.g. https://api-{tenant}.banqer.com.br)")
    proxy.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    proxy.add_argument("--allowed-host", action="append", type=_host_name, default=[], metavar="NAME",
                       help="a host name this proxy is reached by, besides loopback and --host "
                       "(repeatable): /__mock__/drift and /__mock__/requests refuse other Host headers")
    proxy.add_argument("--port", type=_port, default=PROXY_DEFAULT_PORT,
                       help=f"port to bind, 0 for any free one (default: {PROXY_DEFAULT_PORT})")
    proxy.add_argument("--report", type=Path, default=None, metavar="FILE",
                       help="on exit, write the drift report to FILE as JSON and beside it as Markdown "
                       "(drift.json and drift.md for FILE drift.json)")
    proxy.add_argument("--fail-on", choices=("drift", "never"), default="never",
                       help=f"exit {EXIT_DRIFT} on exit if any drift was found (default: never)")
    proxy.add_argument("--timeout", type=_positive_int, default=30, metavar="S",
                       help="seconds to wait for the upstream before answering 504 (default: 30)")


def _cmd_proxy(args: argparse.Namespace) -> int:
    import gc

    from specmock.mocks.connections import ConnectionLimits, default_max_connections
    from specmock.mocks.proxy import PROXY_SERVER_OPTIONS, UpstreamError, create_proxy_app, parse_targets
    from specmock.mocks.server import bind_socket, run_server

    try:
        targets = parse_targets(args.api, args.upstream)
    except UpstreamError as exc:
        print(f"specmock: {exc} (see 'specmock proxy --help')", file=sys.stderr)
        return EXIT_USAGE
    if args.report is not None and not args.report.parent.is_dir():
        print(f"specmock: cannot write the report to {args.report}: no directory {args.report.parent}",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"specmock: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    app = create_proxy_app(targets, timeout=float(args.timeout),
                           allowed_hosts=[args.host, *args.allowed_host])
    # The specs and checkers just loaded live as long as the process: frozen, the garbage collector
    # stops walking them on every collection (under load, that walk cost each request ~30 µs).
    gc.collect()
    gc.freeze()
    host, port = sock.getsockname()[:2]
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    print(f"specmock {__version__} proxy on {base}  (Ctrl-C stops)")
    for target in targets:
        print(f"  {target.api:12} {base}{target.mount} -> {target.upstream}")
    print(f"  drift report {base}/__mock__/drift", flush=True)
    limits = ConnectionLimits(max_connections=default_max_connections(), grace=2)
    _run_until_stopped(lambda: run_server(app, sock, limits=limits, **PROXY_SERVER_OPTIONS))
    report = app.report
    failures = sum(item["count"] for item in report.to_dict()["upstream_failures"])
    print(f"specmock: proxy stopped: {report.exchanges} exchanges, {report.drift} distinct findings, "
          f"{failures} upstream failures")
    if args.report is not None:
        try:
            written = write_drift_report(report.to_json(), report.to_markdown(), args.report)
        except OSError as exc:
            reason = exc.strerror or exc
            print(f"specmock: cannot write the report to {args.report}: {reason}", file=sys.stderr)
            return 1
        print(f"specmock: drift report written to {', '.join(str(p) for p in written)}")
    return EXIT_DRIFT if args.fail_on == "drift" and report.drift else 0


def write_drift_report(as_json: str, markdown: str, path: Path) -> list[Path]:
    """The report as JSON and as Markdown beside it (``drift.json`` and ``drift.md`` for ``drift.json``,
    ``drift.md`` or ``drift``); the files written."""
    if path.suffix.lower() == ".md":
        json_path, md_path = path.with_suffix(".json"), path
    else:
        json_path = path if path.suffix.lower() == ".json" else path.with_name(path.name + ".json")
        md_path = json_path.with_suffix(".md")
    json_path.write_text(as_json, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return [json_path, md_path]


def _run_until_stopped(serve: Callable[[], None]) -> None:
    """Serve until Ctrl-C or SIGTERM, then return (so the report is still written).

    uvicorn raises the signal again once it has stopped; with these handlers in place that only
    returns here instead of ending the process.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        serve()
        return
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda signum, frame: None) for sig in stops}
    try:
        serve()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)



def _step_timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"invalid timeout {value!r}: expected a number of seconds above 0")
    return seconds


def _add_contract_command(commands: argparse._SubParsersAction[_Parser]) -> None:
    contract = commands.add_parser(
        "contract",
        help="run an API's consumer contract against a client in any language, through a driver command",
        description="Start COMMAND (a driver speaking the JSON-lines driver protocol on stdin/stdout, "
        "see docs/driver-protocol.md), play the API's server and clock for it, and run every property "
        "of the API's consumer contract against the client the driver wraps. Prints one line per "
        "property and, for each one broken, the titled failure with the shrunk server script. Exit 0 "
        "when every property holds, 1 when one is broken, 2 when the driver itself fails (it exits, "
        "prints something that is not the protocol, or does not answer a step in time).",
        epilog="example: specmock contract --api banqer -- node tests/banqer-driver.mjs",
    )
    contract.add_argument("--api", choices=_contract_apis(), default=None,
                          help="whose consumer contract to run (required with a COMMAND)")
    contract.add_argument("--property", action="append", default=None, metavar="NAME",
                          help="only this property (repeatable), e.g. retries")
    contract.add_argument("--max-attempts", type=_count, default=3, metavar="N",
                          help="attempts per call the client is made with and judged by (default: 3)")
    contract.add_argument("--seed", type=_seed, default=None,
                          help="seed handed to the driver for the client's random source (jitter)")
    contract.add_argument("--max-examples", type=_count, default=None, metavar="N",
                          help="generated server behaviours per property (default: 25, the specmock "
                          "Hypothesis profile's; HYPOTHESIS_PROFILE=specmock-ci for 100)")
    contract.add_argument("--step-timeout", type=_step_timeout, default=10.0, metavar="S",
                          help="seconds to wait for each message of the driver (default: 10)")
    contract.add_argument("--kit-path", action="store_true",
                          help="print where the Node driver kit (specmock-driver.mjs) is installed and exit")
    contract.add_argument("driver", nargs=argparse.REMAINDER, metavar="-- COMMAND ...",
                          help="the driver command and its arguments, after --")


def _cmd_contract(args: argparse.Namespace) -> int:
    import time

    from specmock.contracts.consumer import ContractViolation
    from specmock.contracts.consumer.command import (
        DriverError,
        command_adapter,
        contract_properties,
        node_kit_path,
        run_contract,
    )

    if args.kit_path:
        print(node_kit_path())
        return 0
    command = args.driver[1:] if args.driver[:1] == ["--"] else args.driver
    if not command:
        print("specmock: contract needs a driver command after --, e.g. "
              "'specmock contract --api banqer -- node driver.mjs'", file=sys.stderr)
        return EXIT_USAGE
    if args.api is None:
        print(f"specmock: contract needs --api (one of {', '.join(_contract_apis())})", file=sys.stderr)
        return EXIT_USAGE
    names = contract_properties(args.api)
    unknown = [name for name in args.property or [] if name not in names]
    if unknown:
        print(f"specmock: no property {unknown[0]!r} in the {args.api} contract "
              f"(one of {', '.join(names)})", file=sys.stderr)
        return EXIT_USAGE
    from specmock.contracts import profiles

    try:
        profiles.load_from_environment()
    except ValueError as exc:
        print(f"specmock: {exc}", file=sys.stderr)
        return EXIT_USAGE
    profiles.set_examples(args.max_examples)
    adapter = command_adapter(args.api)(
        command, max_attempts=args.max_attempts, seed=args.seed, step_timeout=args.step_timeout
    )
    shown = " ".join(command)
    print(f"{args.api} consumer contract against: {shown}")
    violations: list[ContractViolation] = []
    selected = [name for name in names if args.property is None or name in args.property]
    try:
        for name in selected:
            started = time.perf_counter()
            try:
                run_contract(args.api, adapter, [name])
            except ContractViolation as exc:
                violations.append(exc)
                print(f"  FAIL  {name}  ({time.perf_counter() - started:.1f} s)", flush=True)
            else:
                print(f"  ok    {name}  ({time.perf_counter() - started:.1f} s)", flush=True)
    except DriverError as exc:
        print(f"specmock contract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        adapter.stop()
    for violation in violations:
        print()
        print(violation)
    print()
    print(f"{len(selected) - len(violations)} of {len(selected)} properties hold")
    return 1 if violations else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handlers = {
        "serve": _cmd_serve,
        "specs": _cmd_specs,
        "verify": _cmd_verify,
        "contract": _cmd_contract,
        "proxy": _cmd_proxy,
    }
    return handlers[args.command](args)
