import pytest

from trigger.errors import InputError
from trigger.targets import PARTS, known_parts, resolve_part

REQUIRED = ["xcvu9p", "xcvu13p", "xcvu19p", "xcku115", "xc7vx690t", "xczu9eg"]


@pytest.mark.parametrize("short", REQUIRED)
def test_catalog_has_required_parts(short):
    part = PARTS[short]
    assert part.part.startswith(short)
    assert min(part.LUT, part.FF, part.DSP, part.BRAM) > 0
    assert part.FF == 2 * part.LUT  # every Xilinx CLB of these families has two FFs per LUT
    assert part.budget_ns > 0 and "LHCC" in part.budget_source


def test_vu9p_datasheet_totals():
    vu9p = resolve_part("xcvu9p")
    assert vu9p.totals() == {"LUT": 1_182_240, "FF": 2_364_480, "DSP": 6_840, "BRAM": 2_160}


def test_full_part_string_keeps_package_and_device_totals():
    part = resolve_part("xcvu9p-flgb2104-2-i")
    assert part.part == "xcvu9p-flgb2104-2-i"
    assert part.LUT == PARTS["xcvu9p"].LUT


def test_short_names_are_case_insensitive():
    assert resolve_part("XCVU13P").short == "xcvu13p"


def test_unknown_part_lists_known_ones():
    with pytest.raises(InputError) as err:
        resolve_part("xc9z999")
    for short in known_parts():
        assert short in str(err.value)


def test_every_catalogued_part_string_follows_the_grammar():
    for short, part in PARTS.items():
        assert resolve_part(part.part).short == short


@pytest.mark.parametrize(
    "bad",
    [
        "xcvu9p;rm -rf X",  # reaches the Tcl scripts: never pasted unchecked
        "xcvu9p-bogus-9",
        "xcvu9p-flga2104-2L-e; puts x",
        "xcvu9p-flga2104-2L-e\nexit",
        "xcvu9p-flga2104-9-e",  # no speed grade 9
        "xcvu99p-flga2104-2-e",  # not a catalogued device
        "xc7a35tcsg324",  # no speed grade
        "",
    ],
)
def test_part_strings_off_the_grammar_are_refused(bad):
    with pytest.raises(InputError, match="unknown target part.*Known parts: xc7a35t"):
        resolve_part(bad)
