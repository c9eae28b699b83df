"""Inputs and outputs of `afs asm run`: register/memory specs in, a JSON-ready result out.

Numbers are written `0x1F`, `$1F` or `31`; `--mem` addresses are always hex (`7E0010`).
Every problem is an `InputError` that names the option (or file) and what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from afs.asm.cpu import CpuState
from afs.asm.machine import RunResult
from afs.errors import InputError

#: Register -> largest value it takes.
REGISTERS = {"a": 0xFFFF, "x": 0xFFFF, "y": 0xFFFF, "s": 0xFFFF, "d": 0xFFFF, "dbr": 0xFF,
             "pbr": 0xFF, "pc": 0xFFFF, "p": 0xFF, "e": 1}


def parse_number(value: object, what: str, *, path: str | None = None,
                 hex_default: bool = False) -> int:
    """An int from 12, "12", "0x0C" or "$0C" (`hex_default`: "0C" is hex too)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(f"{what}: expected a number, got {value!r}", path=path)
    if isinstance(value, int):
        return value
    text = value.strip().lower()
    try:
        if text.startswith("$"):
            return int(text[1:], 16)
        if text.startswith("0x") or hex_default:
            return int(text.removeprefix("0x"), 16)
        return int(text, 10)
    except ValueError:
        raise InputError(f"{what}: expected a number like 0x1F, $1F or 31, got {value!r}",
                         path=path) from None


def _set_register(values: dict[str, int], name: str, raw: object, where: str,
                  path: str | None = None) -> None:
    key = name.strip().lower()
    if key not in REGISTERS:
        raise InputError(f"{where}: unknown register {name!r} (expected one of "
                         f"{', '.join(REGISTERS)})", path=path)
    value = parse_number(raw, f"{where} {key}", path=path)
    if not 0 <= value <= REGISTERS[key]:
        raise InputError(f"{where}: {key}={value:#x} is out of range (0..{REGISTERS[key]:#x})",
                         path=path)
    values[key] = value


def _set_byte(memory: dict[int, int], address: object, value: object, where: str,
              path: str | None = None) -> None:
    a = parse_number(address, f"{where} address", path=path, hex_default=True)
    v = parse_number(value, f"{where} value at {address}", path=path)
    if not 0 <= a <= 0xFFFFFF or not 0 <= v <= 0xFF:
        raise InputError(f"{where}: {address}={value}: expected a 24-bit address and a byte",
                         path=path)
    memory[a] = v


def _read_state_file(path: str, registers: dict[str, int], memory: dict[int, int]) -> None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", path=path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=path, line=exc.lineno,
                         column=exc.colno) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object of registers and \"memory\"", path=path)
    for key, value in data.items():
        if key == "memory":
            if not isinstance(value, dict):
                raise InputError('"memory" must be an object {"0x7E0010": 5, ...}', path=path)
            for address, byte in value.items():
                _set_byte(memory, address, byte, "memory", path)
        else:
            _set_register(registers, key, value, "state", path)


def parse_run_inputs(init: str | None, mem: list[str], state_path: str | None,
                     fill: str) -> tuple[CpuState, dict[int, int], int, int | None]:
    """(initial registers, initial memory, fill byte, entry address or None) from the options.

    The state file comes first, then `--init`, then `--mem`. Giving `pbr` or `pc` sets the
    entry point; otherwise the run starts at the first byte of code.
    """
    registers: dict[str, int] = {}
    memory: dict[int, int] = {}
    if state_path:
        _read_state_file(state_path, registers, memory)
    for item in (init or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--init: {item.strip()!r}: expected NAME=VALUE, e.g. a=0x1234")
        _set_register(registers, name, value, "--init")
    for item in (part for option in mem for part in option.split(",") if part.strip()):
        address, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--mem: {item!r}: expected ADDRESS=VALUE, e.g. 7E0010=0x05")
        _set_byte(memory, address, value, "--mem")
    fill_byte = parse_number(fill, "--fill")
    if not 0 <= fill_byte <= 0xFF:
        raise InputError(f"--fill: {fill!r} is not a byte (0..0xFF)")
    entry = None
    if "pbr" in registers or "pc" in registers:
        entry = registers.get("pbr", 0) << 16 | registers.get("pc", 0x8000)
    state = CpuState(**registers)
    if state.e and (state.x > 0xFF or state.y > 0xFF):
        raise InputError("--init: in emulation mode (e=1) x and y must be below 0x100")
    return state, memory, fill_byte, entry


def result_to_json(result: RunResult) -> dict[str, Any]:
    """The `--json` object: registers (A/X/Y at 16 bits), counts, stop reason, final bytes."""
    out: dict[str, Any] = result.state.as_dict()
    out.update(cycles=result.cycles, instructions=result.instructions,
               stop_reason=result.stop_reason,
               writes={f"0x{a:06X}": v for a, v in result.written().items()},
               io_writes=[{"address": f"0x{a:06X}", "value": v, "cycle": c}
                          for a, v, c in result.io_writes],
               open_bus_reads=[{"address": f"0x{a:06X}", "value": v, "cycle": c}
                               for a, v, c in result.open_bus_reads])
    if result.trace is not None:
        out["trace"] = result.trace
    return out
