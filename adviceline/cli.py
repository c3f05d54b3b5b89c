"""The `adviceline` command: serve, database migrations, passwords and knowledge-base tools."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from adviceline.config import DEFAULT_CONFIG_FILE, Config, ConfigError, load_config, load_demo_users

DEMO_USERS_FILE = DEFAULT_CONFIG_FILE.parent / "demo-users.toml"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except ConfigError as exc:
        print(f"adviceline: configuration error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="adviceline",
        description="Advice line for parents: FAQ answers, an adviser queue and statistics.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="start the service (web chat, console, coordinator)")
    _config_options(serve)
    serve.add_argument("--host", help="listen address (overrides service.host)")
    serve.add_argument("--port", type=int, help="listen port (overrides service.port)")
    serve.add_argument("--demo", action="store_true",
                       help="add the demo logins of config/demo-users.toml")
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database tools").add_subparsers(metavar="COMMAND")
    upgrade = db.add_parser("upgrade", help="apply database migrations")
    _config_options(upgrade)
    upgrade.set_defaults(run=_db_upgrade)

    hash_password = commands.add_parser(
        "hash-password", help="make an argon2id password_hash for a [[user]] in the config")
    hash_password.set_defaults(run=_hash_password)

    match = commands.add_parser(
        "match", help='read JSON lines {"q": ...} from stdin, write one decision per line')
    _config_options(match, database=False)
    match.set_defaults(run=_match)

    kb = commands.add_parser("kb", help="knowledge-base tools").add_subparsers(metavar="COMMAND")
    check = kb.add_parser("check", help="validate the knowledge base; non-zero exit on problems")
    _config_options(check, database=False)
    check.set_defaults(run=_kb_check)
    evaluate = kb.add_parser("eval", help="measure the matcher on the labelled development set")
    _config_options(evaluate, database=False)
    evaluate.add_argument("--devset", type=Path, help="JSON-lines file of labelled questions")
    evaluate.set_defaults(run=_kb_eval)
    return parser


def _config_options(parser: argparse.ArgumentParser, database: bool = True) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help=f"configuration file (default {DEFAULT_CONFIG_FILE})")
    if database:
        parser.add_argument("--database", help="database URL (overrides database.url)")


def _config(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    return config.with_overrides(host=getattr(args, "host", None), port=getattr(args, "port", None),
                                 database_url=getattr(args, "database", None))


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from adviceline.logs import configure_logging
    from adviceline.web.app import create_app
    from adviceline.web.keys import FAQ

    configure_logging()
    config = _config(args)
    if args.demo:
        config = load_demo_users(DEMO_USERS_FILE, config)
    app = create_app(config)

    async def announce(app: web.Application) -> None:
        loop = asyncio.get_running_loop()

        def reload() -> None:
            try:
                app[FAQ].reload()
            except Exception:
                logging.getLogger("adviceline").exception("knowledge base reload failed")

        loop.add_signal_handler(signal.SIGHUP, reload)
        base = f"http://{config.host}:{config.port}"
        lines = [f"adviceline is running ({config.region_name}, "
                 f"database {config.database_url.reveal().split(':')[0]})",
                 f"  parent chat:     {base}/",
                 f"  adviser console: {base}/console",
                 f"  coordinator:     {base}/coordinator",
                 f"  API description: {base}/api/openapi.json"]
        if args.demo:
            lines.append("  demo logins:")
            lines += [f"    {u.username} / {u.password.reveal()}  ({u.role}: "
                      f"{', '.join(u.municipalities) or config.region_name}"
                      f"{', regional pool' if u.regional_pool else ''})"
                      for u in config.users if u.password is not None]
        lines.append("Stop with Ctrl+C (or SIGTERM); SIGHUP reloads the knowledge base.")
        print("\n".join(lines), flush=True)

    app.on_startup.append(announce)
    web.run_app(app, host=config.host, port=config.port, print=None,
                access_log=logging.getLogger("aiohttp.access"), shutdown_timeout=15)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from adviceline.storage.engine import create_engine, migrate

    config = _config(args)

    async def run() -> None:
        engine = create_engine(config.database_url.reveal())
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database is up to date")
    return 0


def _hash_password(args: argparse.Namespace) -> int:
    from adviceline.passwords import hash_password

    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()
    password = password.rstrip("\n")
    if len(password) < 12:
        print("adviceline: use at least 12 characters", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


def _match(args: argparse.Namespace) -> int:
    from knowledge_base import Matcher, load_knowledge_base
    from knowledge_base.match_lines import match_lines

    config = _config(args)
    matcher = Matcher(load_knowledge_base(config.entries_dir, config.topics_file), config.matcher)
    bad = match_lines(matcher, sys.stdin, sys.stdout)
    return 1 if bad else 0


def _kb_check(args: argparse.Namespace) -> int:
    from knowledge_base.check import check_knowledge_base

    config = _config(args)
    problems = check_knowledge_base(config.entries_dir, config.topics_file, config.matcher)
    for problem in problems:
        print(f"{problem.path}: {problem.message}")
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print("ok")
    return 0


def _kb_eval(args: argparse.Namespace) -> int:
    from knowledge_base import Matcher, load_knowledge_base
    from knowledge_base.evaluate import evaluate

    config = _config(args)
    matcher = Matcher(load_knowledge_base(config.entries_dir, config.topics_file), config.matcher)
    print(evaluate(matcher, args.devset or config.devset).format())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
