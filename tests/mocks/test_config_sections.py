"""The config: one section per registered API, the YAML shape as documented, the earlier Python spelling."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.assine.settings import AssineSettings
from specmock.mocks.banqer.settings import BanqerClient, BanqerSettings
from specmock.mocks.config import ConfigError, MockConfig, config_schema, parse_config
from specmock.mocks.config_file import SEED_MAX, SEED_MIN
from specmock.mocks.pbm.settings import PbmSettings
from specmock.mocks.registry import descriptors


def test_every_registered_api_with_settings_has_a_section_and_a_default() -> None:
    sections = {d.name: d.settings for d in descriptors() if d.settings is not None}
    assert sections == {"banqer": BanqerSettings, "pbm": PbmSettings, "assine": AssineSettings}
    shared = {"seed", "journal_size", "journal_bytes", "max_body_bytes"}
    assert set(config_schema()["properties"]) == {*shared, *sections}
    assert {name: type(section) for name, section in MockConfig().apis.items()} == sections


def test_a_yaml_section_is_merged_over_the_demo_setup() -> None:
    config = parse_config({
        "seed": 7,
        "banqer": {"token_ttl": 60, "fichas_per_tenant": 0, "rate_limit": {"limit": 2, "per_seconds": 1},
                   "tenants": {"acme": {"clients": {"c1": {"secret": "s1", "scopes": ["fichas:read"]}}}}},
        "pbm": {"accounts": {"farmacia": {"password": "p"}}},
        "assine": {"seeded_users": 3, "users": {"x@y.example": {"password": "pw", "business_unit": False}}},
    })
    banqer = config.api("banqer")
    assert (config.seed, banqer.token_ttl, banqer.fichas_per_tenant) == (7, 60, 0)
    assert banqer.tenants["acme"] == {"c1": BanqerClient("c1", "s1", ("fichas:read",))}
    assert "demo" in banqer.tenants  # merged over the demo tenants, not replacing them
    assert set(config.api("pbm").accounts) == {"usuario_exemplo", "farmacia"}
    assine = config.api("assine")
    assert assine.seeded_users == 3 and assine.users["x@y.example"].name == "x@y.example"
    assert not assine.users["x@y.example"].business_unit
    assert set(config.rate_limits) == {"banqer"}


def test_a_wrong_section_is_one_line_naming_where() -> None:
    with pytest.raises(ConfigError, match=r"^config: pbm\.accounts\.a: 'password' is a required property$"):
        parse_config({"pbm": {"accounts": {"a": {}}}})
    with pytest.raises(ConfigError, match="nope"):
        parse_config({"nope": {}})


@given(ttl=st.integers(1, 31_536_000), fichas=st.integers(0, 100_000), seed=st.integers(SEED_MIN, SEED_MAX))
def test_the_flat_spelling_is_the_section_spelling(ttl: int, fichas: int, seed: int) -> None:
    flat = MockConfig(seed=seed, banqer_token_ttl=ttl, banqer_fichas_per_tenant=fichas, assine_token_ttl=ttl)
    sections = parse_config({"seed": seed, "banqer": {"token_ttl": ttl, "fichas_per_tenant": fichas},
                             "assine": {"token_ttl": ttl}})
    assert flat == sections
    assert (flat.banqer_token_ttl, flat.banqer_fichas_per_tenant, flat.pbm_token_ttl) == (ttl, fichas, 3600)
    assert MockConfig().with_token_ttl(ttl) == MockConfig(banqer_token_ttl=ttl, pbm_token_ttl=ttl,
                                                          assine_token_ttl=ttl)


def test_an_unknown_flat_name_is_refused() -> None:
    with pytest.raises(TypeError, match="banqer_nope"):
        MockConfig(banqer_nope=1)
    with pytest.raises(AttributeError, match="pbm_nope"):
        MockConfig().pbm_nope  # noqa: B018


def test_the_section_types_still_import_from_the_config_module() -> None:
    from specmock.mocks import config

    assert config.BanqerClient is BanqerClient
    with pytest.raises(AttributeError):
        config.NoSuchThing  # noqa: B018


def _readme_section(title: str) -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return text.split(title, 1)[1]


def test_the_readme_config_examples_load_as_documented(tmp_path: Any) -> None:
    """The config file's example, and the README's file giving the demo client refresh tokens."""
    import re
    import subprocess

    from specmock.mocks.config import load_config

    example = _readme_section("### Config file").split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "example.yaml").write_text(example, encoding="utf-8")
    banqer = load_config(tmp_path / "example.yaml").api("banqer")
    clients = banqer.tenants["minha-empresa"]
    assert not clients["app-1"].use_refresh_token and clients["app-2"].use_refresh_token
    assert banqer.refresh_token_ttl == 1800

    printf = re.search(r"^printf .* > /tmp/refresh\.yaml$", _readme_section("## Provider contract suite"),
                       re.MULTILINE)
    assert printf is not None
    written = tmp_path / "refresh.yaml"
    subprocess.run(["bash", "-c", printf.group(0).replace("/tmp/refresh.yaml", str(written))], check=True)
    demo = load_config(written).api("banqer").tenants["demo"]["demo-client"]
    assert demo == BanqerClient("demo-client", "demo-secret", demo.scopes, use_refresh_token=True)
