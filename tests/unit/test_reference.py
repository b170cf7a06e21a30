"""The packaged reference configuration and the checks that guard edited copies."""

from __future__ import annotations

from datetime import date, time
from importlib import resources
from pathlib import Path

import pytest

from lugang.reference import (
    ReferenceConfigError,
    default_reference,
    load_reference,
)

PACKAGED = resources.files("lugang").joinpath("reference.toml").read_text(encoding="utf-8")


def test_default_reference_loads_once() -> None:
    """The packaged file loads, and default_reference() hands out one cached instance."""
    assert default_reference() is default_reference()
    assert default_reference() == load_reference()


def test_home_is_huaihua_on_shanghai_time() -> None:
    """The home location and the timezone that decides the day come from the file."""
    reference = default_reference()
    assert reference.home.location == "HHW"
    assert reference.home.tz.key == "Asia/Shanghai"
    assert reference.place("HHW").name_zh.startswith("怀化")


@pytest.mark.parametrize("year", [2022, 2023, 2024, 2025, 2026])
def test_category_targets_add_up_to_the_total(year: int) -> None:
    """Every year's per-category TEU targets add up exactly to the TEU total (domain §1)."""
    target = default_reference().target(year)
    assert set(target.teu) == {"RAIL_SEA", "LAOS", "VIETNAM", "OTHER"}
    assert sum(target.teu.values()) == target.teu_total


def test_targets_of_the_plan() -> None:
    """Spot checks against the plan's table."""
    reference = default_reference()
    assert sorted(reference.targets) == [2022, 2023, 2024, 2025, 2026]
    assert reference.target(2022).trains == 100
    assert reference.target(2026).trains == 500
    assert reference.target(2025).freight_10k_t == 800
    assert reference.target(2024).teu["LAOS"] == 2000
    assert reference.target(2026).reefer_teu == 500
    with pytest.raises(KeyError):
        reference.target(2030)


def test_corridors_of_the_plan() -> None:
    """The eight corridors with their groups, categories, ends and benchmarks."""
    reference = default_reference()
    assert len(reference.corridors) == 8
    vientiane = reference.corridor("HHW-VTE")
    assert (vientiane.service_group, vientiane.teu_category) == ("CROSS_BORDER", "LAOS")
    assert vientiane.border == ("CNMHN", "LABTN")
    assert vientiane.transit_benchmark_h == 72
    assert vientiane.far_end("HHW") == "LAVTE"
    assert reference.corridor("HHW-QZH").transit_benchmark_h == 30
    assert reference.corridor("HHW-CSX").transit_benchmark_h is None
    assert reference.corridor("WUH-HHW").far_end("HHW") == "CNWUH"
    assert reference.corridor("HHW-HAN").teu_category == "VIETNAM"


def test_daily_service_groups() -> None:
    """天天班 applies to rail-sea and cross-border trains; the warning comes at 18:00."""
    reference = default_reference()
    daily = {gid for gid, group in reference.service_groups.items() if group.daily_service}
    assert daily == {"RAIL_SEA", "CROSS_BORDER"}
    assert reference.daily_service.warning_at == time(18, 0)


def test_teu_per_length_code() -> None:
    """20 ft = 1 TEU, 40 ft = 2 TEU, 45 ft = 2 TEU by default."""
    codes = default_reference().length_codes
    assert {code: (lc.length_ft, lc.teu) for code, lc in codes.items()} == {
        "2": (20, 1),
        "4": (40, 2),
        "L": (45, 2),
    }


def test_commodity_bands() -> None:
    """Bands are inclusive; frozen goods have an upper bound only."""
    reference = default_reference()
    assert len(reference.commodities) == 9
    banana = reference.commodity("banana")
    assert (banana.band_low_c, banana.band_high_c) == (12.5, 15)
    assert banana.in_band(12.5)
    assert banana.in_band(15)
    assert not banana.in_band(12.4)
    frozen = reference.commodity("frozen")
    assert frozen.band_low_c is None
    assert frozen.in_band(-30)
    assert not frozen.in_band(-14)


def test_activation_energy_defaults_to_the_usp_value() -> None:
    """No profile of the packaged reference names a ΔH: each takes 83.144 kJ/mol."""
    profiles = default_reference().commodities.values()
    assert {profile.activation_energy_kj_mol for profile in profiles} == {83.144}


def test_rules_and_ranges() -> None:
    """Exception thresholds and plausible ranges from domain §4 and the task."""
    reference = default_reference()
    rules = reference.exception_rules
    assert (rules.excursion_minutes, rules.hysteresis_minutes, rules.cumulative_minutes) == (
        30,
        10,
        60,
    )
    assert (rules.power_off_minutes, rules.telemetry_gap_minutes) == (15, 30)
    assert 120 in reference.ranges.wagons
    assert 121 not in reference.ranges.wagons
    assert -40 in reference.ranges.temperature_c


def test_a_copy_of_the_packaged_file_loads_from_a_path(tmp_path: Path) -> None:
    """load_reference(path) reads any file; an unchanged copy equals the default."""
    path = tmp_path / "port.toml"
    path.write_text(PACKAGED, encoding="utf-8")
    assert load_reference(path) == default_reference()


@pytest.mark.parametrize(
    ("line", "start"),
    [
        ("# service_start = 2026-03-01", None),  # the packaged file: none
        ("service_start = 2026-03-01", date(2026, 3, 1)),
    ],
)
def test_the_start_of_service_is_an_optional_toml_date(
    tmp_path: Path, line: str, start: date | None
) -> None:
    path = tmp_path / "port.toml"
    path.write_text(PACKAGED.replace("# service_start = 2026-03-01", line), encoding="utf-8")
    assert load_reference(path).daily_service.service_start == start


def test_a_start_of_service_in_quotes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "port.toml"
    path.write_text(
        PACKAGED.replace("# service_start = 2026-03-01", 'service_start = "2026-03-01"'),
        encoding="utf-8",
    )
    with pytest.raises(ReferenceConfigError, match=r"daily_service\.service_start: "):
        load_reference(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            'destination = "CNQZH"',
            'destination = "CNXXX"',
            "corridors.HHW-QZH.destination: unknown place 'CNXXX'",
            id="unknown-destination",
        ),
        pytest.param(
            'teu_category = "LAOS"',
            'teu_category = "CAMBODIA"',
            "corridors.HHW-VTE.teu_category: unknown TEU category 'CAMBODIA'",
            id="unknown-category",
        ),
        pytest.param(
            'service_group = "CROSS_BORDER"\nteu_category = "VIETNAM"',
            'service_group = "BORDER"\nteu_category = "VIETNAM"',
            "corridors.HHW-HAN.service_group: unknown service group 'BORDER'",
            id="unknown-group",
        ),
        pytest.param(
            'border = ["CNPIN"]',
            'border = ["CNPXX"]',
            "corridors.HHW-HAN.border: unknown place 'CNPXX'",
            id="unknown-border",
        ),
        pytest.param(
            'origin = "CNWUH"',
            'origin = "CNWUH"\ndestnation = "HHW"',
            "corridors.WUH-HHW.destnation: Extra inputs are not permitted",
            id="typo-key",
        ),
        pytest.param(
            'destination = "CNCSX"',
            'destination = "HHW"',
            "corridors.HHW-CSX: exactly one of origin and destination must be the home location",
            id="corridor-not-leaving-home",
        ),
        pytest.param(
            "teu = { RAIL_SEA = 12000,",
            "teu = { RAIL_SEA = 12001,",
            "targets.2024.teu: categories add up to 25001, not teu_total 25000",
            id="targets-do-not-add-up",
        ),
        pytest.param(
            "LAOS = 1000, VIETNAM = 500,",
            "LAOS = 1500,",
            "targets.2023.teu: must list exactly the TEU categories",
            id="target-category-missing",
        ),
        pytest.param(
            "band_low_c = 12\nband_high_c = 16",
            "band_low_c = 16\nband_high_c = 12",
            "commodities.durian: band_low_c (16.0) must be below band_high_c (12.0)",
            id="band-reversed",
        ),
        pytest.param(
            "band_low_c = 12\nband_high_c = 16",
            "band_low_c = 12\nband_high_c = 16\nactivation_energy_kj_mol = 0",
            "commodities.durian.activation_energy_kj_mol: Input should be greater than 0",
            id="zero-activation-energy",
        ),
        pytest.param(
            "transit_benchmark_h = 72\n\n[corridors.HHW-HAN]",
            'transit_benchmark_h = "72"\n\n[corridors.HHW-HAN]',
            "corridors.HHW-VTE.transit_benchmark_h: Input should be a valid number (got '72')",
            id="string-for-number",
        ),
        pytest.param(
            'timezone = "Asia/Shanghai"',
            'timezone = "Asia/Huaihua"',
            "home.timezone: unknown IANA timezone (got 'Asia/Huaihua')",
            id="unknown-timezone",
        ),
        pytest.param(
            'location = "HHW"',
            'location = "HHX"',
            "home.location: unknown place 'HHX'",
            id="unknown-home",
        ),
        pytest.param(
            "wagons = { min = 1, max = 120 }",
            "wagons = { min = 120, max = 1 }",
            "ranges.wagons: min (120.0) must not exceed max (1.0)",
            id="range-reversed",
        ),
        pytest.param(
            "[length_codes.L]\nlength_ft = 45\nteu = 2",
            "[length_codes.L]\nlength_ft = 45\nteu = 0",
            "length_codes.L.teu: Input should be greater than 0",
            id="zero-teu",
        ),
        pytest.param("[exception_rules]", "[exception_rules", "invalid TOML", id="bad-toml"),
    ],
)
def test_broken_config_names_file_and_entry(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """An edited file with a mistake fails with the file name and the offending entry."""
    assert PACKAGED.count(old) == 1
    path = tmp_path / "port.toml"
    path.write_text(PACKAGED.replace(old, new), encoding="utf-8")
    with pytest.raises(ReferenceConfigError) as caught:
        load_reference(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
