from __future__ import annotations

from pathlib import Path

import pytest

from adviceline.cli import main
from adviceline.config import DEFAULT_CONFIG_FILE, ConfigError, load_config
from adviceline.domain import Invalid
from adviceline.region import resolve_municipality

TWENTE = {"Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
          "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand",
          "Wierden"}


def test_default_configuration_is_twente() -> None:
    config = load_config(environ={})
    assert {m.name for m in config.municipalities.values()} == TWENTE
    assert config.database_url.reveal().startswith("sqlite+aiosqlite://")
    # Every Twente postcode area resolves (122 areas per the CBS data).
    assert len(config.postcodes) == 122
    assert "Secret(" in repr(config.database_url)


@pytest.mark.parametrize(("given", "expected"), [
    ("7511", "enschede"), ("7511 AB", "enschede"), ("7651", "tubbergen"), ("7468", "wierden"),
    ("Hof van Twente", "hof-van-twente"), ("hengelo", "hengelo"), ("", None), (None, None)])
def test_municipality_from_postcode_name_or_id(given: str | None, expected: str | None) -> None:
    assert resolve_municipality(load_config(environ={}), given) == expected


def test_postcode_outside_the_region_is_refused_clearly() -> None:
    with pytest.raises(Invalid, match="1011"):
        resolve_municipality(load_config(environ={}), "1011")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "adviceline.toml"
    path.write_text(text, encoding="utf-8")
    return path


def default_text() -> str:
    return DEFAULT_CONFIG_FILE.read_text(encoding="utf-8").replace(
        'postcodes_file = "data/nl-postcodes-pc4.csv"',
        f'postcodes_file = "{DEFAULT_CONFIG_FILE.parent / "data" / "nl-postcodes-pc4.csv"}"')


@pytest.mark.parametrize(("change", "key"), [
    (('port = 8080', 'port = "8080"'), "service.port"),
    (('port = 8080', 'port = 70000'), "service.port"),
    (('url = "sqlite+aiosqlite:///adviceline.db"', 'url = "mysql://x/y"'), "database.url"),
    (('mon = ["08:00-21:00"]', 'mon = ["21:00-08:00"]'), "region.regional_pool.desk_hours"),
    (('answer_within_minutes = 60', 'answer_within_minutes = 0'),
     "region.answer_within_minutes"),
    (('live_fallback_seconds = 60', 'live_fallback_seconds = 0'), "service.live_fallback_seconds"),
])
def test_invalid_configuration_names_the_key(tmp_path: Path, change: tuple[str, str],
                                             key: str) -> None:
    text = default_text()
    assert change[0] in text
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text.replace(change[0], change[1], 1)), environ={})
    assert str(error.value).startswith(key)


def test_rate_limits_load_from_the_file(tmp_path: Path) -> None:
    assert load_config(environ={}).rate_limits.messages_per_minute == 30
    text = default_text().replace("messages_per_minute = 30", "messages_per_minute = 0")
    limits = load_config(write(tmp_path, text), environ={}).rate_limits
    assert limits.per_minute("messages") == 0 and limits.per_minute("logins") == 10
    with pytest.raises(ConfigError, match=r"rate_limits\.logins_per_minute"):
        load_config(write(tmp_path, text.replace("logins_per_minute = 10",
                                                 "logins_per_minute = -1")), environ={})


def test_live_fallback_loads_from_the_file(tmp_path: Path) -> None:
    assert load_config(environ={}).live_fallback_seconds == 60
    text = default_text().replace("live_fallback_seconds = 60", "live_fallback_seconds = 300")
    assert load_config(write(tmp_path, text), environ={}).live_fallback_seconds == 300


def test_users_in_the_main_configuration_need_a_password_hash(tmp_path: Path) -> None:
    text = default_text() + '\n[[user]]\nusername = "a"\nrole = "adviser"\npassword = "x"\n'
    with pytest.raises(ConfigError, match=r"user\[0\]\.password: plain passwords"):
        load_config(write(tmp_path, text), environ={})


def test_unknown_municipality_of_a_user_is_named(tmp_path: Path) -> None:
    text = default_text() + ('\n[[user]]\nusername = "a"\nrole = "adviser"\n'
                             'municipalities = ["amsterdam"]\npassword_hash = "$argon2id$x"\n')
    with pytest.raises(ConfigError, match=r"user\[0\]\.municipalities: unknown municipality"):
        load_config(write(tmp_path, text), environ={})


def test_a_coordinator_without_municipalities_must_be_a_regional_coordinator(
        tmp_path: Path) -> None:
    user = '\n[[user]]\nusername = "c"\nrole = "{}"\npassword_hash = "$argon2id$x"\n'
    with pytest.raises(ConfigError, match=r"user\[0\]\.municipalities: a coordinator needs at "
                                          r"least one municipality \(role = \"regional_"):
        load_config(write(tmp_path, default_text() + user.format("coordinator")), environ={})
    config = load_config(write(tmp_path, default_text() + user.format("regional_coordinator")),
                         environ={})
    assert config.users[0].role == "regional_coordinator"


def test_environment_and_options_override_the_file() -> None:
    config = load_config(environ={"ADVICELINE_DATABASE_URL": "postgresql://db.example/advice"})
    assert config.database_url.reveal() == "postgresql+asyncpg://db.example/advice"
    changed = config.with_overrides(host="0.0.0.0", port=9000, database_url="sqlite+aiosqlite:///x")
    assert (changed.host, changed.port, changed.database_url.reveal()) == \
        ("0.0.0.0", 9000, "sqlite+aiosqlite:///x")


def test_serve_with_a_broken_config_exits_with_the_key(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, default_text().replace("port = 8080", "port = -1", 1))
    assert main(["serve", "--config", str(path)]) == 2
    assert "service.port" in capsys.readouterr().err


ROTA_USERS = """
[[user]]
username = "anouk"
role = "adviser"
municipalities = ["enschede"]
password_hash = "$argon2id$x"
max_live_chats = 2
languages = ["nl", "en"]
topics = ["slapen"]

[[user]]
username = "bram"
role = "adviser"
municipalities = ["enschede"]
regional_pool = true
password_hash = "$argon2id$x"
"""

ROTA = """
[[rota.shift]]
adviser = "anouk"
where = "enschede"
days = ["mon", "tue", "wed", "thu", "fri"]
hours = ["09:00-12:30", "13:30-17:00"]

[[rota.shift]]
adviser = "bram"
where = "regional_pool"
role = "on_call"
days = ["sat", "sun"]
hours = ["10:00-16:00"]

[[rota.absence]]
adviser = "anouk"
from = 2026-12-21
to = 2026-12-31
reason = "leave"

[[rota.swap]]
date = 2026-12-08
adviser = "anouk"
stand_in = "bram"
"""


def test_rota_profiles_and_closures_load_from_the_file(tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    text = default_text().replace('mon = ["08:00-21:00"]',
                                  'mon = ["08:00-21:00"]\nclosures = ["2026-11-30"]', 1)
    config = load_config(write(tmp_path, text + ROTA_USERS + ROTA), environ={})
    zone = ZoneInfo("Europe/Amsterdam")
    assert config.rota.advisers(datetime(2026, 12, 7, 10, 0, tzinfo=zone), "enschede") == \
        ["anouk"]
    assert config.rota.advisers(datetime(2026, 12, 8, 10, 0, tzinfo=zone), "enschede") == \
        ["bram"]
    assert config.rota.advisers(datetime(2026, 12, 22, 10, 0, tzinfo=zone), "enschede") == []
    assert config.rota.advisers(datetime(2026, 12, 5, 11, 0, tzinfo=zone), "regional_pool",
                                "on_call") == ["bram"]
    assert config.profile("anouk").max_live_chats == 2
    assert config.profile("anouk").languages == ("nl", "en")
    assert config.profile("bram").topics == ()
    assert not config.desks.regional_pool.is_open(datetime(2026, 11, 30, 10, 0, tzinfo=zone))
    assert config.staffing.on_duty(datetime(2026, 12, 7, 10, 0, tzinfo=zone), "enschede") == \
        ["anouk"]


@pytest.mark.parametrize(("rota", "message"), [
    (ROTA.replace('adviser = "anouk"', 'adviser = "zoe"', 1), r"rota: unknown adviser 'zoe'"),
    (ROTA.replace('where = "enschede"', 'where = "delft"'), r"rota: unknown municipality"),
    (ROTA.replace('role = "on_call"', 'role = "standby"'), r"rota\.shift\[1\]: role"),
    (ROTA.replace('reason = "leave"', 'reason = "holiday"'), r"rota\.absence\[0\]\.reason"),
    (ROTA.replace("from = 2026-12-21", 'from = "21 december"'), r"rota\.absence\[0\]\.from"),
])
def test_a_bad_rota_names_its_key(tmp_path: Path, rota: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, default_text() + ROTA_USERS + rota), environ={})
EMAIL = '''
[email]
listen = "127.0.0.1:2525"
relay = "smtp.example.nl:587"
relay_tls = "starttls"
relay_username = "cjg"
from_address = "opvoedvragen@cjg-twente.example"
default_address = "opvoedvragen@cjg-twente.example"
[email.imap]
host = "imap.example.nl"
username = "opvoedvragen"
folder = "INBOX"
poll_seconds = 30
'''


def _with_email(tmp_path: Path, email: str, almelo: str = "") -> Path:
    text = default_text().replace('id = "almelo"\n', f'id = "almelo"\n{almelo}')
    return write(tmp_path, text + email)


def test_email_channel_configuration(tmp_path: Path) -> None:
    path = _with_email(tmp_path, EMAIL, 'email = "Opvoedvragen@Almelo.example"\n')
    config = load_config(path, environ={"ADVICELINE_EMAIL_RELAY_PASSWORD": "geheim",
                                        "ADVICELINE_EMAIL_IMAP_PASSWORD": "ook-geheim"})
    email = config.email
    assert email is not None and email.imap is not None
    assert email.listen == ("127.0.0.1", 2525)
    assert email.relay == ("smtp.example.nl", 587) and email.relay_tls == "starttls"
    assert email.relay_password.reveal() == "geheim" and "geheim" not in repr(email)
    assert email.imap.password.reveal() == "ook-geheim"
    assert (email.imap.port, email.imap.tls, email.imap.poll_seconds) == (993, True, 30.0)
    assert config.email_addresses() == {"opvoedvragen@almelo.example": "almelo"}
    assert load_config(environ={}).email is None


@pytest.mark.parametrize(("email", "almelo", "key"), [
    (EMAIL.replace('relay_tls = "starttls"', 'relay_tls = "ssl"'), "", "email.relay_tls"),
    (EMAIL.replace('"127.0.0.1:2525"', '"localhost"'), "", "email.listen"),
    (EMAIL.replace('from_address = "opvoedvragen@cjg-twente.example"',
                   'from_address = "CJG <x@y.example>"'), "", "email.from_address"),
    (EMAIL.replace('relay_username = "cjg"', 'relay_password = "x"'), "",
     "email.relay_password"),
    (EMAIL.replace('host = "imap.example.nl"', 'host = "i"\npassword = "x"'), "",
     "email.imap.password"),
    (EMAIL, 'email = "opvoedvragen@cjg-twente.example"\n', "email.default_address"),
    (EMAIL, 'email = "geen adres"\n', "municipality[0].email"),
])
def test_email_configuration_errors_name_the_key(tmp_path: Path, email: str, almelo: str,
                                                 key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_config(_with_email(tmp_path, email, almelo), environ={})


def test_a_users_email_address_is_checked_and_kept(tmp_path: Path) -> None:
    user = ('\n[[user]]\nusername = "a"\nrole = "adviser"\nmunicipalities = ["hengelo"]\n'
            'password_hash = "$argon2id$x"\nemail = "{}"\n')
    config = load_config(write(tmp_path, default_text() + user.format("bram@cjg.example")),
                         environ={})
    assert [u.email for u in config.users] == ["bram@cjg.example"]
    for wrong in ("bram", "Bram <bram@cjg.example>", "bram@localhost"):
        with pytest.raises(ConfigError, match=r"user\[0\]\.email: .* is not an e-mail address"):
            load_config(write(tmp_path, default_text() + user.format(wrong)), environ={})


def test_on_call_escalation_time_loads_and_is_checked(tmp_path: Path) -> None:
    assert load_config(environ={}).routing.on_call_escalate_minutes == 15
    text = default_text()
    assert "on_call_escalate_minutes = 15" in text
    changed = text.replace("on_call_escalate_minutes = 15", "on_call_escalate_minutes = 5")
    assert load_config(write(tmp_path, changed), environ={}).routing \
        .on_call_escalate_minutes == 5
    with pytest.raises(ConfigError, match=r"routing\.on_call_escalate_minutes: must be at least"):
        load_config(write(tmp_path, text.replace("on_call_escalate_minutes = 15",
                                                 "on_call_escalate_minutes = 0")), environ={})
