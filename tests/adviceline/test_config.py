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
])
def test_invalid_configuration_names_the_key(tmp_path: Path, change: tuple[str, str],
                                             key: str) -> None:
    text = default_text()
    assert change[0] in text
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text.replace(change[0], change[1], 1)), environ={})
    assert str(error.value).startswith(key)


def test_users_in_the_main_configuration_need_a_password_hash(tmp_path: Path) -> None:
    text = default_text() + '\n[[user]]\nusername = "a"\nrole = "adviser"\npassword = "x"\n'
    with pytest.raises(ConfigError, match=r"user\[0\]\.password: plain passwords"):
        load_config(write(tmp_path, text), environ={})


def test_unknown_municipality_of_a_user_is_named(tmp_path: Path) -> None:
    text = default_text() + ('\n[[user]]\nusername = "a"\nrole = "adviser"\n'
                             'municipalities = ["amsterdam"]\npassword_hash = "$argon2id$x"\n')
    with pytest.raises(ConfigError, match=r"user\[0\]\.municipalities: unknown municipality"):
        load_config(write(tmp_path, text), environ={})


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
