"""The `adviceline` command: serve, database migrations, passwords and knowledge-base tools."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adviceline.config import DEFAULT_CONFIG_FILE, Config, ConfigError, load_config, load_demo_users
from adviceline.storage.startup import DatabaseUnavailable, check_database
from adviceline.workers import Supervisor, refusal, watch_supervisor

if TYPE_CHECKING:
    from knowledge_base import Matcher
    from knowledge_base.crisis_model import CrisisModel
    from knowledge_base.model import KnowledgeBase
    from knowledge_base.thresholds import Scored

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
    except DatabaseUnavailable as exc:
        print(f"adviceline: {exc}", file=sys.stderr)
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
    serve.add_argument("--log-format", choices=("json", "text"), default="json",
                       help="json: one JSON object per line (default, for log collectors); "
                            "text: one readable line per event, for a terminal")
    serve.add_argument("--demo", action="store_true",
                       help="add the demo logins of config/demo-users.toml")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="run N service processes on one port (PostgreSQL only; default 1)")
    # Set by `--workers` for the service processes it starts: "K/N".
    serve.add_argument("--worker", help=argparse.SUPPRESS)
    serve.set_defaults(run=_serve)

    users = commands.add_parser(
        "users", help="manage staff accounts in the database (no config edit, no restart)"
    ).add_subparsers(metavar="COMMAND")
    add = users.add_parser("add", help="add an adviser or coordinator; the password is asked "
                                       "for (or read from stdin), never given on the command line")
    _config_options(add)
    add.add_argument("username")
    add.add_argument("--role", choices=("adviser", "coordinator", "regional_coordinator"),
                     default="adviser")
    add.add_argument("--municipality", action="append", default=[],
                     help="a municipality id of the configuration (repeatable)")
    add.add_argument("--regional-pool", action="store_true",
                     help="an adviser of the regional backup pool")
    add.add_argument("--display-name", help="the name colleagues see (default: the username)")
    add.add_argument("--email", type=_email_option, default=None,
                     help="where on-call calls are e-mailed (README \"On call\")")
    add.set_defaults(run=_users_add)
    set_email = users.add_parser("set-email", help="where a user's on-call calls are e-mailed "
                                                   "(an empty address: the console only)")
    _config_options(set_email)
    set_email.add_argument("username")
    set_email.add_argument("email", type=_email_option)
    set_email.set_defaults(run=_users_set_email)
    disable = users.add_parser("disable", help="stop a user logging in; ends their sessions")
    _config_options(disable)
    disable.add_argument("username")
    disable.set_defaults(run=_users_disable)
    reset = users.add_parser("reset-password",
                             help="set a new password (asked for); ends every login with the old")
    _config_options(reset)
    reset.add_argument("username")
    reset.set_defaults(run=_users_reset_password)
    listing = users.add_parser("list", help="every staff account and where it is managed")
    _config_options(listing)
    listing.set_defaults(run=_users_list)

    init = commands.add_parser(
        "init", help="write a starting configuration for a region (to edit), with one "
                     "coordinator login whose password is printed once")
    init.add_argument("--region", type=Path, required=True, metavar="DIR",
                      help="the folder to write adviceline.toml (and the postcode file) into")
    init.add_argument("--name", default="Regio", help="the region's name parents see")
    init.add_argument("--municipality", action="append", default=[], metavar="NAME",
                      help="a municipality by its CBS name (repeatable; default: the shipped "
                           "region's)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(run=_init)

    doctor = commands.add_parser(
        "doctor", help="check configuration, database, migrations, knowledge base and the mail "
                       "relay and mailbox; one line each, exit 1 when something is wrong")
    _config_options(doctor)
    doctor.set_defaults(run=_doctor)

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
    review = kb.add_parser(
        "review", help="record that you read these entries (reviewer, date, text fingerprint)")
    _config_options(review, database=False)
    review.add_argument("entries", nargs="+", metavar="ENTRY", help="entry ids you reviewed")
    review.add_argument("--by", required=True, help="who reviewed (name and role)")
    review.add_argument("--on", type=date.fromisoformat, default=None,
                        help="date of the review, YYYY-MM-DD (default: today)")
    review.set_defaults(run=_kb_review)
    evaluate = kb.add_parser("eval", help="measure the matcher on the labelled development set")
    _config_options(evaluate, database=False)
    evaluate.add_argument("--devset", type=Path, help="JSON-lines file of labelled questions")
    evaluate.add_argument("--corpus", type=Path, default=None,
                          help="safeguarding corpus folder (default: the shipped one)")
    evaluate.add_argument("--writer", action="append", default=None,
                          help="report only this held-out writer (repeatable)")
    evaluate.add_argument("--questions", type=Path,
                          help="folder of held-out question sets, one .jsonl per writer "
                               "(default: knowledge_base/heldout)")
    evaluate.add_argument("--tuning", type=Path,
                          help="folder of the question writers the matcher was tuned on, one "
                               ".jsonl per writer (default: knowledge_base/devset/writers)")
    evaluate.add_argument("--test-corpus", type=Path,
                          help="folder of test writers scored by the shipped detector as it is "
                               "(default: knowledge_base/safeguarding_test)")
    evaluate.add_argument("--choose-thresholds", action="store_true",
                          help="choose matcher.answer_threshold and answer_margin on the dev "
                               "set and the tuning writers (nested, precision first) and print "
                               "them; the held-out writers take no part")
    evaluate.add_argument("--no-writers", action="store_true",
                          help="skip the per-writer crisis evaluation (dev and question sets only)")
    evaluate.add_argument("--crisis-only", action="store_true",
                          help="skip the dev and question sets' matcher figures (the crisis "
                               "writers, the ordinary questions' alarms and the test writers "
                               "only): a crisis-model round without the topic classifiers")
    evaluate.add_argument("--show-misses", action="store_true",
                          help="print the held-out writers' missed crises and false alarms")
    evaluate.add_argument("--nested", action="store_true",
                          help="tune each writer's thresholds with models that never saw it "
                               "either (n*(n-1)/2 more models to train)")
    evaluate.add_argument("--folds", type=int, default=None, metavar="K",
                          help="hold the crisis writers out in K folds (and the question "
                               "writers in K folds) instead of one at a time: K models instead "
                               "of one per writer, each writer still scored by a model that "
                               "never saw it; for comparing settings quickly")
    evaluate.add_argument("--save-model", action="store_true",
                          help="also save the shipped model (as `kb train-crisis`), reusing the "
                               "held-out models")
    evaluate.set_defaults(run=_kb_eval)
    train_crisis = kb.add_parser(
        "train-crisis", help="train the crisis model on every writer and save it")
    _config_options(train_crisis, database=False)
    train_crisis.add_argument("--corpus", type=Path, default=None,
                              help="safeguarding corpus folder (default: the shipped one)")
    train_crisis.add_argument("--out", type=Path, default=None,
                              help="model file (default: knowledge_base/crisis_model.npz)")
    train_crisis.add_argument("--folds", type=int, default=None, metavar="K",
                              help="choose the thresholds on scores from K models, each "
                                   "without a K-th of the writers, instead of one model per "
                                   "writer")
    train_crisis.set_defaults(run=_kb_train_crisis)
    train_topics = kb.add_parser(
        "train-topics", help="train the matcher's topic classifier on the entries and the "
                             "training question writers and save it")
    _config_options(train_topics, database=False)
    train_topics.add_argument("--out", type=Path, default=None,
                              help="weights file (default: knowledge_base/topic_classifier.npz)")
    train_topics.add_argument("--devset", type=Path,
                              help="the dev set, whose labelled questions it also learns from")
    train_topics.add_argument("--tuning", type=Path,
                              help="folder of the training question writers, whose labelled "
                                   "questions it also learns from (default: "
                                   "knowledge_base/devset/writers; never the held-out writers)")
    train_topics.set_defaults(run=_kb_train_topics)
    export = kb.add_parser(
        "export-labels", help="write the advisers' crisis marks as a corpus file (JSON lines)")
    _config_options(export)
    export.add_argument("--out", type=Path, required=True, help="JSON-lines file to write")
    export.set_defaults(run=_kb_export_labels)
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

    from adviceline.logs import access_log_options, configure_logging
    from adviceline.web.app import create_app
    from adviceline.web.keys import DEMO_HISTORY, FAQ

    config = _config(args)
    if args.demo:
        config = load_demo_users(DEMO_USERS_FILE, config)
    refused = refusal(args.workers, config.database_url.reveal(), config.host, config.port)
    if refused is not None:
        print(f"adviceline: {refused}", file=sys.stderr)
        return 2
    asyncio.run(check_database(config.database_url.reveal()))
    # Only a service that starts takes over the process's logging (a refused start prints its
    # one line and leaves logging as it found it).
    addresses = configure_logging(log_format=args.log_format)
    addresses.log_clients = config.log_clients
    if args.workers > 1:
        return asyncio.run(Supervisor(lambda number: _worker_argv(args, number),
                                      args.workers).run())
    number, count = (int(part) for part in args.worker.split("/")) if args.worker else (1, 1)
    config = replace(config, workers=count)
    if number > 1:
        # The first service process adds the demo history; the others would race it.
        config = replace(config, demo=False)
    app = create_app(config)

    async def announce(app: web.Application) -> None:
        loop = asyncio.get_running_loop()

        async def reload() -> None:
            try:
                await app[FAQ].reload_async()
            except Exception:
                logging.getLogger("adviceline").exception("knowledge base reload failed")

        reloads: set[asyncio.Task[None]] = set()

        def on_sighup() -> None:
            task = asyncio.create_task(reload())
            reloads.add(task)   # held until done (the loop keeps only weak references)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, on_sighup)
        if args.worker:
            watch_supervisor(lambda: os.kill(os.getpid(), signal.SIGTERM))
        if number > 1:
            print(f"adviceline process {number} of {count} is running (pid {os.getpid()})",
                  flush=True)
            return
        base = f"http://{config.host}:{config.port}"
        processes = f", {count} processes" if count > 1 else ""
        lines = [f"adviceline is running ({config.region_name}, "
                 f"database {config.database_url.reveal().split(':')[0]}{processes})",
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
        if args.demo:
            lines += _demo_lines(app.get(DEMO_HISTORY), config)
        lines.append("Stop with Ctrl+C (or SIGTERM); SIGHUP reloads the knowledge base.")
        print("\n".join(lines), flush=True)

    app.on_startup.append(announce)
    web.run_app(app, host=config.host, port=config.port, print=None, shutdown_timeout=15,
                reuse_port=count > 1, **access_log_options(config.log_clients))
    return 0


def _worker_argv(args: argparse.Namespace, number: int) -> list[str]:
    """The command line of service process `number` of `args.workers`."""
    argv = [sys.executable, "-m", "adviceline", "serve", "--worker", f"{number}/{args.workers}",
            "--log-format", args.log_format]
    for option, value in (("--config", args.config), ("--database", args.database),
                          ("--host", args.host), ("--port", args.port)):
        if value is not None:
            argv += [option, str(value)]
    if args.demo:
        argv.append("--demo")
    return argv


def _demo_lines(history: Any, config: Config) -> list[str]:
    url = config.database_url.reveal()
    where = (f"remove {url.split('///', 1)[-1]}" if url.startswith("sqlite")
             else "drop and recreate the database")
    if history is None or history.skipped:
        return ["  demo history: none added (the database already holds questions); "
                f"to start clean, stop, {where} and start again"]
    return [f"  demo history: {history.questions} questions over the past {history.days} days, "
            f"answered and unanswered; {history.waiting} still wait for an adviser (some for "
            "days), as on a real line",
            f"  to start clean (no demo data, no demo logins): stop, {where}, and start "
            "without --demo"]


def _init(args: argparse.Namespace) -> int:
    from adviceline.init import InitError, write_region

    try:
        written = write_region(args.region, args.name, args.municipality, force=args.force)
    except InitError as exc:
        print(f"adviceline: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {written.config_file} for {args.name}: "
          f"{', '.join(written.municipalities)}")
    print(f"first login: {written.username} / {written.password}")
    print("  (shown only now; stored as a hash. Change it by editing password_hash, see README)")
    print(f"next: edit the file, then `adviceline doctor --config {written.config_file}` and "
          f"`adviceline serve --config {written.config_file}`")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from adviceline.doctor import examine

    findings = asyncio.run(examine(args.config, args.database))
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.ok for finding in findings) else 1


def _db_upgrade(args: argparse.Namespace) -> int:
    from adviceline.storage.engine import create_engine, migrate

    config = _config(args)
    asyncio.run(check_database(config.database_url.reveal()))

    async def run() -> None:
        engine = create_engine(config.database_url.reveal())
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database is up to date")
    return 0


def _read_new_password() -> str:
    """Twice at a terminal (they must match), else one line of stdin; never an argument."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise StaffCommandError("the two passwords differ")
    return first


class StaffCommandError(Exception):
    pass


def _with_staff(args: argparse.Namespace, work: Any) -> int:
    from adviceline.storage.engine import create_engine, migrate, session_factory
    from adviceline.users import StaffError

    config = _config(args)
    url = config.database_url.reveal()
    asyncio.run(check_database(url))

    async def run() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
            await work(config, session_factory(engine))
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except (StaffError, StaffCommandError) as exc:
        print(f"adviceline: {exc}", file=sys.stderr)
        return 2
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from adviceline.users import StaffError, add_user

    async def work(config: Config, sessions: Any) -> None:
        unknown = [m for m in args.municipality if m not in config.municipalities]
        if unknown:
            raise StaffError(f"unknown municipality {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(config.municipalities))}")
        if args.role == "coordinator" and not args.municipality:
            raise StaffError("a coordinator needs at least one --municipality")
        if args.role == "adviser" and not (args.municipality or args.regional_pool):
            raise StaffError("an adviser needs a --municipality or --regional-pool")
        await add_user(sessions, username=args.username,
                       display_name=args.display_name or args.username, role=args.role,
                       municipalities=args.municipality, regional_pool=args.regional_pool,
                       password=_read_new_password(), email=args.email)
        print(f"{args.username} added ({args.role}); they can log in now")

    return _with_staff(args, work)


def _email_option(text: str) -> str | None:
    from adviceline.config import staff_email

    try:
        return staff_email(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _users_set_email(args: argparse.Namespace) -> int:
    from adviceline.users import set_email

    async def work(config: Config, sessions: Any) -> None:
        await set_email(sessions, args.username, args.email)
        print(f"{args.username}: on-call calls are e-mailed to {args.email}" if args.email
              else f"{args.username}: on-call calls show in the console only")

    return _with_staff(args, work)


def _users_disable(args: argparse.Namespace) -> int:
    from adviceline.users import disable_user

    async def work(config: Config, sessions: Any) -> None:
        await disable_user(sessions, args.username)
        print(f"{args.username} disabled; their sessions have ended")

    return _with_staff(args, work)


def _users_reset_password(args: argparse.Namespace) -> int:
    from adviceline.users import reset_password

    async def work(config: Config, sessions: Any) -> None:
        await reset_password(sessions, args.username, _read_new_password())
        print(f"{args.username} has a new password; logins with the old one have ended")

    return _with_staff(args, work)


def _users_list(args: argparse.Namespace) -> int:
    from adviceline.users import list_users

    async def work(config: Config, sessions: Any) -> None:
        for user in await list_users(sessions):
            where = ", ".join(user.municipalities) or ("regional pool" if user.regional_pool
                                                       else config.region_name)
            state = "active" if user.active else "disabled"
            print(f"{user.username:<28} {user.role:<21} {state:<9} {user.managed:<7} {where}"
                  + (f"  <{user.email}>" if user.email else ""))

    return _with_staff(args, work)


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


def _kb_review(args: argparse.Namespace) -> int:
    from knowledge_base import load_knowledge_base
    from knowledge_base.review import ReviewError, fingerprint, record_review

    config = _config(args)
    kb = load_knowledge_base(config.entries_dir, config.topics_file)
    unknown = [entry_id for entry_id in args.entries if entry_id not in kb.entries]
    if unknown:
        print(f"unknown entry id(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    on = args.on or date.today()
    try:
        for entry_id in args.entries:
            entry = kb.entry(entry_id)
            text = fingerprint(entry.question, entry.question_en, entry.answer_nl, entry.answer_en)
            review = record_review(entry.path, text, args.by, on)
            print(f"{entry_id}: reviewed on {review.on.isoformat()} by {review.by} ({review.text})")
    except ReviewError as error:
        print(str(error), file=sys.stderr)
        return 2
    return 0


def _print_threshold_choice(writers: Mapping[str, list[Scored]], matcher: Matcher) -> None:
    from knowledge_base.thresholds import choose_thresholds

    print()
    if len(writers) < 2:
        print("Choosing thresholds needs the dev set and at least one tuning writer.")
        return
    choice = choose_thresholds(writers)
    if choice is None:
        print("No answer_threshold / answer_margin meets any precision requirement on every "
              "training writer: answer fewer questions at once, or improve the matcher.")
        return
    if choice.met_target:
        print(f"Thresholds chosen on the training writers (each writer at precision >= "
              f"{choice.requirement:g}, the lowest requirement that held 0.97 on every writer "
              "left out):")
    else:
        print(f"Thresholds chosen on the training writers: NO requirement held 0.97 on every "
              f"writer left out; closest: each writer at precision >= {choice.requirement:g}:")
    print(f"  answer_threshold = {choice.answer_threshold:g}   answer_margin = "
          f"{choice.answer_margin:g}   (now {matcher.settings.answer_threshold:g} / "
          f"{matcher.settings.answer_margin:g})")
    for name, figures in choice.per_writer.items():
        left_out = choice.left_out[name]
        print(f"  {name:<12} precision {figures.precision:5.3f}  answered right "
              f"{figures.answered_right:5.3f}  out of scope kept {figures.out_of_scope_kept:5.3f}"
              f"   | left out: precision {left_out.precision:5.3f}  answered right "
              f"{left_out.answered_right:5.3f}")


def _print_leave_one_writer_out(writers: Mapping[str, list[Scored]],
                                top1: Mapping[str, float]) -> None:
    from knowledge_base.thresholds import leave_one_writer_out

    print()
    if len(writers) < 3:
        print("Leave one writer out needs the dev set and at least two tuning writers.")
        return
    print("Training writers, each left out in turn (scored with a topic classifier that learnt "
          "from the other training writers only; answer thresholds chosen as by "
          "--choose-thresholds on the other training writers, measured on the one left out; "
          "top-1 does not depend on them; quote the worst):")
    rows = leave_one_writer_out(writers)
    for name, row in rows.items():
        if row.choice is None:
            chosen = "none held: nothing answered at once"
        else:
            chosen = (f"{row.choice.answer_threshold:g} / {row.choice.answer_margin:g} at "
                      f"{row.choice.requirement:g}"
                      + ("" if row.choice.met_target else ", 0.97 not held on the others"))
        print(f"  {name:<12} left out   top-1 {top1[name]:5.3f}  precision "
              f"{row.figures.precision:5.3f}  answered right {row.figures.answered_right:5.3f}  "
              f"out of scope kept {row.figures.out_of_scope_kept:5.3f}  (thresholds {chosen})")
    print(f"  {'worst':<12} left out   top-1 {min(top1[n] for n in rows):5.3f}  precision "
          f"{min(r.figures.precision for r in rows.values()):5.3f}  answered right "
          f"{min(r.figures.answered_right for r in rows.values()):5.3f}  out of scope kept "
          f"{min(r.figures.out_of_scope_kept for r in rows.values()):5.3f}")


def _kb_eval(args: argparse.Namespace) -> int:
    from knowledge_base import Matcher, load_knowledge_base
    from knowledge_base.evaluate import DEFAULT_TUNING

    if args.crisis_only and args.no_writers:
        print("--crisis-only with --no-writers leaves nothing to measure", file=sys.stderr)
        return 2
    if args.folds is not None and (args.folds < 2 or args.nested):
        print("--folds needs K >= 2 and cannot be combined with --nested", file=sys.stderr)
        return 2
    config = _config(args)
    kb = load_knowledge_base(config.entries_dir, config.topics_file)
    tuning_dir = args.tuning or DEFAULT_TUNING
    if not args.crisis_only:
        _eval_questions(args, Matcher(kb, config.matcher), args.devset or config.devset,
                        tuning_dir)
    if args.no_writers:
        return 0
    _eval_crisis_writers(args, kb, config, tuning_dir)
    return 0


def _eval_questions(args: argparse.Namespace, matcher: Matcher, devset: Path,
                    tuning_dir: Path) -> None:
    """`kb eval`'s matcher figures: the dev set, the tuning writers (each also left out), the
    held-out question writers and the crisis signals on their ordinary questions."""
    from knowledge_base.cross_fit import score_left_out
    from knowledge_base.evaluate import DEFAULT_HELDOUT, evaluate, read_devset, worst_of

    print("Development set (the matcher and the shipped crisis detector):")
    dev_report = evaluate(matcher, devset)
    print(dev_report.format())
    tuning = sorted(tuning_dir.glob("*.jsonl"))
    if tuning:
        print()
        print("Tuning writers (read and tuned on like the development set: training figures, "
              "not a measure of generalisation):")
        for path in tuning:
            report = evaluate(matcher, path)
            print(f"  {path.stem:<12} tuning    {report.summary()}")
    # The shipped topic classifier learnt from these writers: each is scored again by one that
    # learnt from the others only, and thresholds are chosen on those scores.
    left_out = score_left_out(
        matcher, {"dev set": read_devset(devset), **{p.stem: read_devset(p) for p in tuning}},
        progress=lambda line: print(f"  ... {line}", file=sys.stderr))
    training = {name: scores.scored for name, scores in left_out.items()}
    _print_leave_one_writer_out(training, {name: s.top1 for name, s in left_out.items()})
    if args.choose_thresholds:
        _print_threshold_choice(training, matcher)
    heldout_dir = args.questions or DEFAULT_HELDOUT
    heldout = sorted(heldout_dir.glob("*.jsonl"))
    print()
    if not heldout:
        print(f"Held-out question writers: none in {heldout_dir} (add one .jsonl per new "
              "writer there; they are scored, never read).")
    else:
        print("Held-out question writers (never read by the matcher's authors; quote the worst; "
              "targets: top-1 >= 0.92, precision >= 0.97, answered right >= 0.50, out of scope "
              "kept >= 0.95):")
        held_out = [evaluate(matcher, path) for path in heldout]
        for path, report in zip(heldout, held_out, strict=True):
            print(f"  {path.stem:<12} held out  {report.summary()}")
        if len(held_out) > 1:
            print(f"  {'worst':<12} held out  {worst_of(held_out)}")
        from knowledge_base.corpus import ordinary_questions
        from knowledge_base.crisis_eval import ordinary_alarms

        print("Crisis signals on the held-out question writers' ordinary questions (the shipped "
              "detector; every one is a false alarm: an ordinary question not answered):")
        for path in heldout:
            print(ordinary_alarms(matcher.crisis, path.stem, ordinary_questions(path)).format())


def _eval_crisis_writers(args: argparse.Namespace, kb: KnowledgeBase, config: Config,
                         tuning_dir: Path) -> None:
    """`kb eval`'s crisis figures: each corpus writer left out, the ordinary questions' alarms,
    what the concern threshold costs, the test writers; `--save-model` saves the model."""
    from knowledge_base import Matcher
    from knowledge_base.corpus import DEFAULT_CORPUS, DEFAULT_TEST_CORPUS, load_writer, writers
    from knowledge_base.crisis import CrisisDetector, NoCrisisCheck, load_detector
    from knowledge_base.crisis_eval import corpus_trainer, format_reports, leave_one_writer_out

    trainer = corpus_trainer(kb, args.corpus or DEFAULT_CORPUS,
                             progress=lambda line: print(f"  ... {line}", file=sys.stderr),
                             nested=args.nested, question_writers=tuning_dir,
                             folds=args.folds)

    # Asked only for a crisis the evaluated detector missed: would the FAQ answer it? The FAQ
    # side alone decides, because the shipped detector has seen every corpus writer and would
    # hide a held-out writer's miss.
    faq_alone = Matcher(kb, config.matcher, crisis=NoCrisisCheck())

    def answers(text: str) -> bool:
        return faq_alone.decide(text).outcome == "answer"

    print()
    print(format_reports(leave_one_writer_out(trainer, args.writer, answers),
                         show_misses=args.show_misses, nested=args.nested,
                         folds=args.folds))
    from knowledge_base.corpus import question_writer_questions
    from knowledge_base.crisis_eval import ordinary_alarms_left_out

    print("Crisis signals on the training question writers' ordinary questions (each writer's "
          "questions left out of the crisis model's background in turn; thresholds chosen on "
          "the crisis writers):")
    for alarms in ordinary_alarms_left_out(trainer, question_writer_questions(tuning_dir),
                                           trainer.all_thresholds_without(None)):
        print(alarms.format())
    if not args.nested:
        from knowledge_base.crisis_eval import threshold_costs

        print(threshold_costs(trainer, args.writer or sorted(trainer.writers)))
    # With --save-model the test writers are scored by the model just saved: the one shipped.
    detector = (CrisisDetector(_save_shipped_model(trainer, None)) if args.save_model
                else load_detector())
    test_corpus = args.test_corpus or DEFAULT_TEST_CORPUS
    test_writers = writers(test_corpus) if test_corpus.is_dir() else []
    if test_writers:
        from knowledge_base.crisis_eval import evaluate_test_writer

        print("Test writers (never trained or tuned on; the shipped model, thresholds and "
              "rules as they are):")
        reports = [evaluate_test_writer(detector, name, load_writer(test_corpus, name), answers)
                   for name in test_writers]
        print("\n".join(format_reports(reports, show_misses=False).splitlines()[1:]))


def _kb_train_topics(args: argparse.Namespace) -> int:
    from knowledge_base import load_knowledge_base
    from knowledge_base.cross_fit import read_training_questions
    from knowledge_base.evaluate import DEFAULT_TUNING
    from knowledge_base.index import TermIndex
    from knowledge_base.topic_classifier import (
        DEFAULT_CLASSIFIER_FILE,
        TopicClassifier,
        question_examples,
    )

    config = _config(args)
    kb = load_knowledge_base(config.entries_dir, config.topics_file)
    index = TermIndex(kb)
    tuning_dir = args.tuning or DEFAULT_TUNING
    questions = read_training_questions(args.devset or config.devset,
                                        sorted(tuning_dir.glob("*.jsonl")))
    classifier = TopicClassifier(kb, index, stored=None,
                                 questions=question_examples(questions, kb, index))
    out = args.out or DEFAULT_CLASSIFIER_FILE
    classifier.save(out)
    print(f"topic classifier: {len(kb.entries)} entries, {len(kb.topics)} topics, "
          f"{classifier.questions} labelled questions of the training writers -> {out}")
    return 0


def _save_shipped_model(trainer: Any, out: Path | None) -> CrisisModel:
    from knowledge_base.crisis import DEFAULT_MODEL_FILE
    from knowledge_base.crisis_eval import fit_shipped_model

    model = fit_shipped_model(trainer)
    out = out or DEFAULT_MODEL_FILE
    model.save(out)
    print(f"{out}: {model.meta['messages']} messages ({model.meta['crisis_messages']} crisis) "
          f"from {len(trainer.writers)} writers and the background; thresholds crisis >= "
          f"{model.crisis_threshold:.2f}, concern >= {model.concern_threshold:.2f}")
    return model


def _kb_train_crisis(args: argparse.Namespace) -> int:
    from knowledge_base import load_knowledge_base
    from knowledge_base.corpus import DEFAULT_CORPUS
    from knowledge_base.crisis_eval import corpus_trainer

    config = _config(args)
    kb = load_knowledge_base(config.entries_dir, config.topics_file)
    if args.folds is not None and args.folds < 2:
        print("--folds needs K >= 2", file=sys.stderr)
        return 2
    trainer = corpus_trainer(kb, args.corpus or DEFAULT_CORPUS,
                             progress=lambda line: print(f"  ... {line}", file=sys.stderr),
                             nested=False, folds=args.folds)
    _save_shipped_model(trainer, args.out)
    return 0


def _kb_export_labels(args: argparse.Namespace) -> int:
    from adviceline.labels import export_labels

    count = asyncio.run(export_labels(_config(args), args.out))
    print(f"{args.out}: {count} adviser mark(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
