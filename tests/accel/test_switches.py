"""Every accelerator switch is read in one place, with one spelling of "off" for all of them."""

from __future__ import annotations

import pytest

from game.accel.switches import OFF_WORDS, AccelSwitches, InvalidSwitch

SWITCHES = ("ADVENTURE_ACCEL", "ADVENTURE_BLAS", "ADVENTURE_NATIVE", "ADVENTURE_NATIVE_STEP",
            "ADVENTURE_MLX_JIT", "ADVENTURE_FAST_DECODE")


def test_unset_or_empty_switches_run_every_part() -> None:
    assert AccelSwitches.from_environ({}) == AccelSwitches()
    assert AccelSwitches.from_environ({name: " " for name in SWITCHES}) == AccelSwitches()
    assert AccelSwitches.from_environ({name: "On" for name in SWITCHES}) == AccelSwitches()


@pytest.mark.parametrize("word", [*OFF_WORDS, "OFF", "False", " No "])
@pytest.mark.parametrize("name, field, off", [
    ("ADVENTURE_BLAS", "blas", "off"), ("ADVENTURE_NATIVE", "kernels", False),
    ("ADVENTURE_NATIVE_STEP", "decode_step", "off"), ("ADVENTURE_MLX_JIT", "jit_flags", False),
    ("ADVENTURE_FAST_DECODE", "lean_forward", False)])
def test_every_switch_takes_the_same_words_for_off(word: str, name: str, field: str, off: object) -> None:
    switches = AccelSwitches.from_environ({name: word})
    assert getattr(switches, field) == off
    assert switches.enabled  # one part off, the others still on
    assert switches == AccelSwitches(**{field: off})


@pytest.mark.parametrize("word", [*OFF_WORDS, "OFF"])
def test_the_master_switch_turns_every_part_off(word: str) -> None:
    assert AccelSwitches.from_environ({"ADVENTURE_ACCEL": word}) == AccelSwitches.all_off()
    everything_on = {name: "on" for name in SWITCHES[1:]}
    assert AccelSwitches.from_environ({"ADVENTURE_ACCEL": word, **everything_on}) == AccelSwitches.all_off()
    assert not AccelSwitches.all_off().enabled


def test_the_historical_values_keep_working() -> None:
    assert AccelSwitches.from_environ({"ADVENTURE_BLAS": "reference"}).blas == "off"
    assert AccelSwitches.from_environ({"ADVENTURE_BLAS": "openblas-gemm"}).blas == "gemm-only"
    assert AccelSwitches.from_environ({"ADVENTURE_NATIVE_STEP": "single"}).decode_step == "single-thread"
    assert AccelSwitches.from_environ({"ADVENTURE_MLX_JIT": "plain"}).jit_flags is False


@pytest.mark.parametrize("name", SWITCHES)
def test_an_unknown_value_is_refused_with_the_accepted_ones(name: str) -> None:
    with pytest.raises(InvalidSwitch) as error:
        AccelSwitches.from_environ({name: "fast"})
    assert f"{name}='fast'" in str(error.value) and "off" in str(error.value)


def test_a_mistyped_switch_is_refused_even_with_the_accelerator_off() -> None:
    with pytest.raises(InvalidSwitch, match="ADVENTURE_NATIVE='of'"):
        AccelSwitches.from_environ({"ADVENTURE_ACCEL": "off", "ADVENTURE_NATIVE": "of"})


def test_the_compiler_comes_from_adventure_cc_then_cc() -> None:
    assert AccelSwitches.from_environ({}).compilers == ()
    assert AccelSwitches.from_environ({"CC": "clang"}).compilers == ("clang",)
    assert AccelSwitches.from_environ({"ADVENTURE_CC": "gcc-14", "CC": "clang"}).compilers == ("gcc-14", "clang")
