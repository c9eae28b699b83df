"""Veran (explanation) items: code or a question, a reference explanation, and a rubric.

A rubric lists the concepts a correct explanation must state, each with the synonyms that
count, and the known-wrong claims that cost points (calling `$7EF36C` the *current* health,
reading MVN's operands as source-then-destination in asar, ...). The reference explanation is
proven to cover its own rubric fully and to trip none of its wrong claims. ALTTP variables
and registers are checked against the knowledge graph when the items are built.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from afs.benchmark.generation import Draft, distinct_drafts

PER_CATEGORY = 12  # 11 categories x 12 = 132 >= 131

Concept = tuple[str, list[str]]
Claim = tuple[str, list[str]]

HEALTH_CLAIMS: list[Claim] = [
    ("$7EF36C is the current health",
     [r"7EF36C\W{1,4}(?:is\s+|holds\s+|=\s*)?(?:the\s+|link'?s\s+)*current",
      r"current health\W{1,4}(?:is\s+|at\s+|=\s*)?\$?7EF36C"]),
    ("$7EF36D is the maximum health",
     [r"7EF36D\W{1,4}(?:is\s+|holds\s+|=\s*)?(?:the\s+|link'?s\s+)*max",
      r"max(?:imum)? health\W{1,4}(?:is\s+|at\s+|=\s*)?\$?7EF36D"]),
]


def _draft(category: str, difficulty: int, code: str, request: str, reference: str,
           concepts: list[Concept], claims: list[Claim] | None = None) -> Draft:
    rubric: dict[str, Any] = {
        "concepts": [{"name": name, "synonyms": synonyms} for name, synonyms in concepts],
        "wrong_claims": [{"claim": claim, "patterns": patterns, "penalty": 0.5}
                         for claim, patterns in (claims or [])],
    }
    return Draft(category=category, difficulty=difficulty, code=code, expected_output=reference,
                 description=request, task="explain", extra={"rubric": rubric},
                 metadata={"request": request})


def _h(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


# --- ALTTP variables (names and meanings as the knowledge graph has them) ------------------

VARIABLES: dict[int, tuple[str, list[str], str]] = {
    0x7EF36D: ("link_health_current", ["current health", "health link has now", "hit points"],
               "Link's current health, in eighths of a heart"),
    0x7EF36C: ("link_health_max", ["maximum health", "max health", "heart containers"],
               "Link's maximum health (heart containers), in eighths of a heart"),
    0x7EF36E: ("magic_power", ["magic"], "the magic meter (0 to $80 = full)"),
    0x7EF343: ("bombs_count", ["bombs"], "the number of bombs Link carries"),
    0x7EF377: ("arrows_count", ["arrows"], "the number of arrows Link carries"),
    0x7EF359: ("sword_level", ["sword"], "the sword level (0 none ... 4 golden)"),
    0x7EF36F: ("keys_current_dungeon", ["small keys", "keys"],
               "the small keys held for the current dungeon"),
    0x7E0010: ("main_module_index", ["game mode", "main module"],
               "the main module (game mode) index"),
    0x7E002F: ("link_facing_direction", ["direction", "facing"],
               "the direction Link faces (0 up, 2 down, 4 left, 6 right)"),
    0x7E005D: ("link_state", ["link's state", "state handler", "link state"],
               "Link's state handler index"),
    0x7E001A: ("frame_counter", ["frame counter"], "the frame counter"),
    0x7E0013: ("inidisp_shadow", ["inidisp", "brightness"],
               "the shadow of INIDISP ($2100): brightness and forced blank"),
}
TABLES: dict[int, tuple[str, list[str], str]] = {
    0x7E0E50: ("sprite_hp", ["hit points", "hp", "health"], "sprite hit points"),
    0x7E0DD0: ("sprite_state", ["state"], "sprite slot state (0 = empty)"),
    0x7E0E20: ("sprite_type", ["sprite type", "sprite id", "type"], "the sprite type (ID)"),
    0x7E0D10: ("sprite_x_lo", ["x coordinate", "x position", "horizontal position"],
               "the low byte of the sprite's X coordinate"),
    0x7E0D00: ("sprite_y_lo", ["y coordinate", "y position", "vertical position"],
               "the low byte of the sprite's Y coordinate"),
}


def check_against_graph(graph: Any) -> list[str]:
    """Names used here that disagree with the knowledge graph (empty when all agree)."""
    problems = []
    for address, (name, _, _) in {**VARIABLES, **TABLES}.items():
        match = graph.resolve(address)
        if match.node is None or match.node.name != name:
            found = match.node.name if match.node is not None else None
            problems.append(f"{_h(address, 6)}: generator says {name}, graph says {found}")
    return problems


# --- instruction ---------------------------------------------------------------------------

def instruction(rng: random.Random) -> Draft:
    kind = rng.randrange(6)
    if kind == 0:
        bits = rng.choice((0x10, 0x20, 0x30))
        which = {0x10: "X and Y (index registers)", 0x20: "the accumulator",
                 0x30: "the accumulator and X/Y"}[bits]
        op = rng.choice(("REP", "SEP"))
        width = "16-bit" if op == "REP" else "8-bit"
        extra = " SEP #$10 also clears the high bytes of X and Y." if op == "SEP" and bits & 0x10 \
            else ""
        return _draft("instruction", 1, f"{op} #{_h(bits)}",
                      f"What does `{op} #{_h(bits)}` do?",
                      f"{op} {'clears' if op == 'REP' else 'sets'} the processor status bits "
                      f"given by its operand {_h(bits)}, so {which} become {width}." + extra,
                      [("operation", ["clears", "reset"] if op == "REP" else ["sets"]),
                       ("status bits", ["status", "flag", "p register", "processor status"]),
                       ("width", [width, "16 bit" if op == "REP" else "8 bit"])],
                      [("wrong width", [rf"\b{'8' if op == 'REP' else '16'}-?bit"])])
    if kind == 1:
        return _draft("instruction", 1, "XBA", "What does `XBA` do?",
                      "XBA exchanges (swaps) the high byte B and the low byte A of the 16-bit "
                      "accumulator C. N and Z are set from the new low byte.",
                      [("swap", ["exchange", "swap"]), ("bytes", ["high byte", "b and a"]),
                       ("flags", ["n and z", "negative and zero", "zero flag"])],
                      [("exchanges with X", [r"\bX register", r"swap\w* [^.]{0,15}\bX\b"])])
    if kind == 2:
        dp = rng.randrange(0x100, 0x2000, 0x100)
        return _draft("instruction", 2, f"LDA #{_h(dp, 4)}\nTCD",
                      "What do these two instructions do?",
                      f"They load {_h(dp, 4)} into the 16-bit accumulator and TCD copies it to "
                      "the direct page register D, so direct page operands like $10 now address "
                      f"{_h(dp + 0x10, 4)}.",
                      [("direct page", ["direct page register", "register d", "direct page"]),
                       ("transfer", ["tcd", "copies", "transfers"]),
                       ("effect", [f"{_h(dp + 0x10, 4)}".lower(), "relative to d",
                                   "direct page operands"])],
                      [("TCD sets the data bank", [r"\bdata bank\b"])])
    if kind == 3:
        target = rng.randrange(0x8000, 0xFFF0)
        return _draft("instruction", 1, f"JSL ${0x80 + rng.randrange(0x40):02X}{target:04X}",
                      "What does this instruction do, and how does the called routine return?",
                      "JSL is a long jump to subroutine: it pushes the program bank and the "
                      "return address (3 bytes) on the stack and jumps to the 24-bit address. "
                      "The routine must return with RTL, not RTS.",
                      [("long call", ["long", "24-bit", "jump to subroutine long"]),
                       ("pushes bank", ["program bank", "3 bytes", "pbr"]),
                       ("returns with RTL", ["rtl"])],
                      [("returns with RTS", [r"return\w* (with|using) RTS"])])
    if kind == 4:
        value = rng.randrange(1, 0xFF)
        dp = rng.randrange(0x00, 0x100)
        op = rng.choice(("TSB", "TRB"))
        verb = "sets" if op == "TSB" else "clears"
        return _draft("instruction", 2, f"LDA #{_h(value)}\n{op} {_h(dp)}",
                      "What does this code do to memory and flags?",
                      f"{op} {verb} in the byte at {_h(dp)} the bits that are set in A "
                      f"({_h(value)}). Z is set if A AND the old memory value was zero; A is "
                      "unchanged.",
                      [("bit operation", [verb]), ("mask", ["bits that are set in a", "mask",
                                                             f"{_h(value)}".lower()]),
                       ("zero flag", ["z is set", "zero flag", "z flag"])],
                      [(f"{op} {'clears' if op == 'TSB' else 'sets'} bits",
                        [rf"{op}\W[^.]{{0,30}}\b{'clears' if op == 'TSB' else 'sets'}\b"])])
    count = rng.randrange(1, 4)
    return _draft("instruction", 1, "\n".join(["ASL A"] * count),
                  "What does this do to the accumulator?",
                  f"Each ASL A shifts the accumulator left by one bit, so {count} of them "
                  f"multiply A by {2 ** count} (modulo the register width); the bit shifted out "
                  "last goes into the carry flag.",
                  [("shift left", ["shift", "shifts left"]),
                   ("multiply", [f"multiply a by {2 ** count}", f"times {2 ** count}",
                                 f"x{2 ** count}", f"multiplies a by {2 ** count}",
                                 f"multiply the accumulator by {2 ** count}"]),
                   ("carry", ["carry"])],
                  [("divides", [r"\bdivid"])])


# --- explanation ---------------------------------------------------------------------------

def explanation(rng: random.Random) -> Draft:
    address, (name, synonyms, meaning) = rng.choice(sorted(VARIABLES.items()))
    value = rng.randrange(0, 0x100)
    kind = rng.randrange(2)
    claims = HEALTH_CLAIMS if address in (0x7EF36C, 0x7EF36D) else []
    if kind == 0:
        return _draft("explanation", 1, f"LDA #{_h(value)}\nSTA.l {_h(address, 6)}",
                      "Explain this code in the context of A Link to the Past.",
                      f"It stores {_h(value)} into {_h(address, 6)} ({name}), which holds "
                      f"{meaning}.",
                      [("address meaning", synonyms), ("value", [_h(value).lower(),
                                                                 str(value)]),
                       ("store", ["stores", "writes", "sets"])], claims)
    return _draft("explanation", 2, f"LDA.l {_h(address, 6)}\nBEQ +\nDEC A\nSTA.l "
                  f"{_h(address, 6)}\n+",
                  "Explain this code in the context of A Link to the Past.",
                  f"It decrements {_h(address, 6)} ({name}, {meaning}) by one, but only when it "
                  "is not already zero: BEQ skips the decrement at zero, so it never wraps "
                  "to $FF.",
                  [("address meaning", synonyms), ("decrement", ["decrement", "subtracts one",
                                                                 "minus one"]),
                   ("zero guard", ["not already zero", "never wraps", "skips", "unless zero"])],
                  claims)


# --- pattern -------------------------------------------------------------------------------

def pattern(rng: random.Random) -> Draft:
    kind = rng.randrange(4)
    dp = rng.randrange(0x00, 0xFE)
    if kind == 0:
        return _draft("pattern", 2, f"INC {_h(dp)}\nBNE +\nINC {_h(dp + 1)}\n+",
                      "What does this idiom do?",
                      f"It increments the 16-bit little-endian value at {_h(dp)}-{_h(dp + 1)} "
                      f"with 8-bit instructions: when the low byte wraps to zero (BNE not "
                      "taken) the carry is propagated by incrementing the high byte.",
                      [("16-bit", ["16-bit", "16 bit", "word"]),
                       ("increment", ["increment"]),
                       ("carry into high byte", ["high byte", "carry", "wraps"])])
    if kind == 1:
        return _draft("pattern", 2, "-\nLDA $4212\nAND #$80\nBEQ -",
                      "What does this loop wait for?",
                      "It polls HVBJOY ($4212) until bit 7 is set, which means the PPU is in "
                      "vertical blank (vblank); the loop busy-waits for the start of vblank.",
                      [("register", ["hvbjoy", "$4212"]), ("vblank", ["vblank",
                                                                    "vertical blank"]),
                       ("polling", ["polls", "busy-wait", "waits", "loop"])],
                      [("waits for NMI via RDNMI", [r"\$4210"])])
    if kind == 2:
        return _draft("pattern", 1, f"LDA {_h(dp)}\nEOR #$FF\nINC A",
                      "What does this compute?",
                      f"It negates the byte at {_h(dp)} in two's complement: inverting all bits "
                      "with EOR #$FF and adding one gives the negative value (-x).",
                      [("negation", ["negate", "negative", "-x"]),
                       ("two's complement", ["two's complement", "twos complement"]),
                       ("invert", ["invert", "flip", "complement"])])
    value = rng.randrange(1, 0xFF)
    return _draft("pattern", 2, f"LDA {_h(dp)}\nCMP #{_h(value)}\nBCS +",
                  "What comparison does this branch make?",
                  f"An unsigned comparison: CMP sets the carry when A >= {_h(value)}, so BCS "
                  f"branches when the byte at {_h(dp)} is greater than or equal to {_h(value)}.",
                  [("unsigned", ["unsigned"]), ("carry", ["carry"]),
                   ("greater or equal", ["greater than or equal", ">=", "at least"])],
                  [("signed comparison", [r"(?<!un)signed comparison"])])


# --- asar categories -----------------------------------------------------------------------

def asar_address_operators(rng: random.Random) -> Draft:
    address = 0x7E0000 | rng.randrange(0x0000, 0x2000)
    kind = rng.randrange(3)
    suffix, size, mode = (("b", "1-byte", "direct page"), ("w", "2-byte", "absolute"),
                          ("l", "3-byte", "long"))[kind]
    return _draft("asar_address_operators", 2, f"LDA.{suffix} {_h(address, 6)}",
                  f"What does the `.{suffix}` suffix do in asar here?",
                  f"In asar `.{suffix}` forces the operand size: the instruction uses {mode} "
                  f"addressing with a {size} operand, whatever the size of the value. asar "
                  "keeps only the low bytes that fit, so with .b or .w the bank (and for .b "
                  "the high byte) of the address is dropped.",
                  [("forces size", ["forces", "force"]), ("mode", [mode]),
                   ("truncation", ["low bytes", "dropped", "truncat"])],
                  [("suffix changes the register width", [r"\b(accumulator|register) width",
                                                          r"changes the m flag"])])


def asar_labels(rng: random.Random) -> Draft:
    name = rng.choice(("Loop", "Fill", "Copy", "Wait", "Update", "Draw"))
    suffix = rng.choice(("loop", "done", "next", "skip"))
    kind = rng.randrange(2)
    if kind == 0:
        return _draft("asar_labels", 2, f"{name}:\n.{suffix}\nDEX\nBNE .{suffix}\nRTS",
                      f"What is `.{suffix}` in this asar code?",
                      f"`.{suffix}` is a sublabel (local label) of the global label {name}: its "
                      f"full name is {name}.{suffix}, and the same sublabel name can be reused "
                      "under another global label.",
                      [("sublabel", ["sublabel", "local label"]), ("parent", [name.lower()]),
                       ("scope", [f"{name.lower()}.{suffix}", "reused"])])
    count = rng.randrange(2, 5)
    return _draft("asar_labels", 2,
                  f"LDX #{_h(count)}\n-\nDEX\nBNE -\nBRA +\nNOP\n+\nRTS",
                  "What do the `-` and `+` labels mean in asar?",
                  "They are anonymous (plus/minus) labels: `BNE -` branches to the nearest `-` "
                  "label above, `BRA +` to the nearest `+` label below. So the loop runs "
                  f"{count} times and the NOP is skipped.",
                  [("anonymous", ["anonymous", "plus/minus"]),
                   ("backward", ["above", "backward"]), ("forward", ["below", "forward"])])


def asar_data_directives(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    values = [rng.randrange(0x100) for _ in range(3)]
    if kind == 0:
        word = rng.randrange(0x100, 0x10000)
        return _draft("asar_data_directives", 1, f"dw {_h(word, 4)}",
                      "What bytes does this emit?",
                      f"dw emits a 16-bit word in little-endian order: {_h(word & 0xFF)} then "
                      f"{_h(word >> 8)} (low byte first).",
                      [("word", ["16-bit", "word"]), ("little-endian", ["little-endian",
                                                                       "low byte first"]),
                       ("bytes", [_h(word & 0xFF).lower()])],
                      [("big-endian", [r"big-endian", r"high byte first"])])
    if kind == 1:
        long = rng.randrange(0x10000, 0x1000000)
        return _draft("asar_data_directives", 1, f"dl {_h(long, 6)}",
                      "What does `dl` emit?",
                      f"dl emits a 24-bit (3-byte) long value, little-endian: "
                      f"{_h(long & 0xFF)}, {_h((long >> 8) & 0xFF)}, {_h(long >> 16)} — for "
                      "example a long pointer with its bank byte last.",
                      [("24-bit", ["24-bit", "3-byte", "three bytes"]),
                       ("little-endian", ["little-endian", "low byte first"]),
                       ("bank last", ["bank byte last", "bank"])])
    text = rng.choice(("LINK", "ZELDA", "HYRULE", "GANON"))
    return _draft("asar_data_directives", 1,
                  f'db "{text}", {", ".join(_h(v) for v in values)}',
                  "What does this line emit?",
                  f'db emits bytes: the string "{text}" as {len(text)} bytes (one per '
                  f"character, no terminator added) followed by the {len(values)} bytes "
                  f"{', '.join(_h(v) for v in values)}.",
                  [("bytes", ["bytes"]), ("string", ["string", "characters"]),
                   ("no terminator", ["no terminator", "not zero-terminated",
                                      "no zero byte"])])


# --- hardware_register ---------------------------------------------------------------------

REGISTERS: list[tuple[int, str, str, list[str], list[str]]] = [
    (0x2100, "INIDISP", "write-only", ["forced blank", "brightness"],
     ["screen brightness and forced blank"]),
    (0x2105, "BGMODE", "write-only", ["background mode", "bg mode"], ["the background mode"]),
    (0x212C, "TM", "write-only", ["main screen", "main-screen"],
     ["which layers appear on the main screen"]),
    (0x420B, "MDMAEN", "write-only", ["dma", "starts"], ["which DMA channels start now"]),
    (0x420C, "HDMAEN", "write-only", ["hdma"], ["which HDMA channels run each frame"]),
    (0x4200, "NMITIMEN", "write-only", ["nmi", "joypad"],
     ["NMI enable, timer IRQs and automatic joypad reading"]),
    (0x2118, "VMDATAL", "write-only", ["vram"], ["the low byte of VRAM data"]),
    (0x2122, "CGDATA", "write-only", ["cgram", "palette", "colour", "color"],
     ["CGRAM (palette) data, written twice per colour"]),
    (0x4212, "HVBJOY", "read-only", ["vblank", "blank"],
     ["the H/V blank flags and the joypad-busy flag"]),
    (0x4218, "JOY1L", "read-only", ["joypad", "controller"], ["the auto-read joypad 1 buttons"]),
    (0x2115, "VMAIN", "write-only", ["increment", "vram"],
     ["how the VRAM address increments"]),
    (0x2121, "CGADD", "write-only", ["cgram", "palette", "colour", "color"],
     ["the CGRAM (palette) address"]),
]


def hardware_register(rng: random.Random) -> Draft:
    address, name, access, topic, what = rng.choice(REGISTERS)
    if access == "read-only":
        code = f"LDA ${address:04X}"
        verb = "reads"
    else:
        value = rng.randrange(0x100)
        code = f"LDA #{_h(value)}\nSTA ${address:04X}"
        verb = "writes"
    other = "read-only" if access == "write-only" else "write-only"
    return _draft("hardware_register", 1, code,
                  "Which hardware register does this access, and what is it for?",
                  f"It {verb} {name} (${address:04X}), a {access} register that controls "
                  f"{what[0]}.",
                  [("register", [name.lower(), f"${address:04x}"]), ("access", [access]),
                   ("purpose", topic)],
                  [("wrong access", [rf"\b{other}\b"])])


# --- advanced_pattern ----------------------------------------------------------------------

def advanced_pattern(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    if kind == 0:
        src, dst = rng.randrange(0x1000, 0x8000), rng.randrange(0x8000, 0xF000)
        count = rng.randrange(0x10, 0x400)
        return _draft("advanced_pattern", 3,
                      f"REP #$30\nLDA #{_h(count - 1, 4)}\nLDX #{_h(src, 4)}\n"
                      f"LDY #{_h(dst, 4)}\nMVN $7E,$7E\nSEP #$30",
                      "What does this block do?",
                      f"It copies {count} bytes (A + 1) from $7E:{src:04X} to $7E:{dst:04X} "
                      "with MVN, a block move that increments X and Y after each byte and runs "
                      "until A wraps to $FFFF. In asar the MVN operands are written destination "
                      "bank, source bank. It costs 7 cycles per byte.",
                      [("block move", ["block move", "mvn"]), ("count", [str(count),
                                                                        "a + 1"]),
                       ("operand order", ["destination bank, source bank"]),
                       ("cost", ["7 cycles"])],
                      [("source first in asar", [r"source bank, (the )?destination bank"])])
    if kind == 1:
        offset = rng.randrange(1, 8)
        return _draft("advanced_pattern", 3, f"LDA [$00],Y\nSTA ${offset * 2:02X}",
                      "What does the first instruction read?",
                      "LDA [$00],Y is direct page indirect long indexed: it takes the 24-bit "
                      "pointer stored at $00-$02 (low, high, bank) and adds Y, so it can read "
                      "from any bank.",
                      [("24-bit pointer", ["24-bit", "long pointer", "3-byte"]),
                       ("indexed by Y", ["adds y", "plus y", "indexed by y"]),
                       ("any bank", ["any bank", "bank"])],
                      [("16-bit pointer", [r"16-bit pointer"])])
    bank = rng.randrange(0x80, 0xC0)
    return _draft("advanced_pattern", 2, f"PEA ${bank:02X}{bank:02X}\nPLB\nPLB",
                  "What does this sequence do?",
                  f"It sets the data bank register (DBR) to ${bank:02X}: PEA pushes the 16-bit "
                  "value onto the stack and each PLB pulls one byte into DBR, so the stack is "
                  "balanced afterwards.",
                  [("data bank", ["data bank", "dbr"]), ("stack", ["stack", "pushes"]),
                   ("balanced", ["balanced", "two plb"])],
                  [("program bank", [r"program bank"])])


# --- alttp_pattern -------------------------------------------------------------------------

def alttp_pattern(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    if kind == 0:
        return _draft("alttp_pattern", 2, "LDA.l $7EF36C\nSTA.l $7EF36D",
                      "What does this do in A Link to the Past?",
                      "It refills Link's health: it copies the maximum health ($7EF36C, heart "
                      "containers) into the current health ($7EF36D).",
                      [("refill", ["refill", "restores", "fills"]),
                       ("maximum", ["maximum health", "max health", "heart containers"]),
                       ("current", ["current health"])], HEALTH_CLAIMS)
    address, (name, synonyms, meaning) = rng.choice(sorted(TABLES.items()))
    value = rng.randrange(1, 0x40)
    if kind == 1:
        return _draft("alttp_pattern", 2,
                      f"LDX #$0F\n-\nLDA #{_h(value)}\nSTA.l {_h(address, 6)},X\nDEX\nBPL -",
                      "What does this loop do in A Link to the Past?",
                      f"It sets {meaning} ({name}, {_h(address, 6)}) to {_h(value)} in all 16 "
                      "sprite slots: X counts down from 15 to 0 and BPL stops after slot 0.",
                      [("table", synonyms), ("all slots", ["16", "all sprite slots",
                                                           "every slot"]),
                       ("count down", ["counts down", "15 to 0", "dex"])])
    slot = rng.randrange(16)
    return _draft("alttp_pattern", 1, f"LDX #{_h(slot)}\nLDA.l {_h(address, 6)},X",
                  "What does this load?",
                  f"It loads {meaning} ({name}) of sprite slot {slot}: {_h(address, 6)} is a "
                  f"table of 16 slots and X selects the slot, so it reads "
                  f"{_h(address + slot, 6)}.",
                  [("table", synonyms), ("slot", [f"slot {slot}"]),
                   ("indexed", ["x selects", "indexed", "table of 16"])])


# --- complete_routine ----------------------------------------------------------------------

def complete_routine(rng: random.Random) -> Draft:
    channel = rng.randrange(8)
    base = 0x4300 + channel * 0x10
    vram = rng.randrange(0, 0x8000) & 0xFFF0
    size = rng.randrange(0x40, 0x1000) & 0xFFF0
    code = "\n".join([
        "LDA #$80", "STA $2100", "LDA #$80", "STA $2115", "REP #$20", f"LDA #{_h(vram, 4)}",
        "STA $2116", "LDA #$1801", f"STA ${base:04X}", "LDA #$2000", f"STA ${base + 2:04X}",
        f"LDA #{_h(size, 4)}", f"STA ${base + 5:04X}", "SEP #$20", "LDA #$7F",
        f"STA ${base + 4:04X}", f"LDA #{_h(1 << channel)}", "STA $420B", "LDA #$0F",
        "STA $2100"])
    return _draft("complete_routine", 3, code,
                  "Explain what this routine does, step by step.",
                  f"It turns on forced blank, then uses DMA channel {channel} to copy {size} "
                  f"bytes from $7F:2000 to VRAM at word address {_h(vram, 4)}: VMAIN=$80 "
                  "increments after the high byte, the channel is set to mode 1 targeting "
                  "$2118 (VMDATA), source $7F2000, size in $43x5. Writing MDMAEN ($420B) "
                  "starts the transfer, and finally the screen is turned back on at full "
                  "brightness.",
                  [("forced blank", ["forced blank"]), ("dma", ["dma"]),
                   ("vram", ["vram"]), ("channel", [f"channel {channel}"]),
                   ("size", [str(size), _h(size, 4).lower()]),
                   ("start", ["mdmaen", "$420b"])])


# --- oracle_docs: documented behaviour (CPU, asar) -----------------------------------------

ORACLE_FACTS: list[tuple[str, str, str, list[Concept], list[Claim]]] = [
    ("SEP #$10", "What happens to the high bytes of X and Y after this instruction?",
     "Setting the X flag makes X and Y 8-bit, and the CPU clears their high bytes to zero; "
     "they are not preserved.",
     [("cleared", ["clears", "zero"]), ("8-bit index", ["8-bit"])],
     [("preserved", [r"high bytes are (kept|preserved)"])]),
    ("MVN $7E,$7F", "Which bank is the source in asar's notation?",
     "asar writes MVN operands as destination bank, source bank: this copies from bank $7F "
     "to bank $7E (the opposite of WDC's MVN source,destination notation).",
     [("destination first", ["destination bank, source bank"]), ("source", ["from bank $7f"]),
      ("wdc", ["opposite", "wdc"])],
     [("copies from $7E", [r"from bank \$?7E\b"])]),
    ("LDA.b $123456", "What does asar assemble here?",
     "asar silently truncates the operand to its low byte: this becomes LDA $56 (A5 56), a "
     "direct page load, not a long load.",
     [("truncates", ["truncat"]), ("low byte", ["$56", "low byte"]),
      ("direct page", ["direct page"])],
     [("long load", [r"\bis a long load"])]),
    ("LDA #$0012", "How wide is this immediate in asar?",
     "asar has no M flag tracking: it takes the immediate size from how the number is written, "
     "so #$0012 (four hex digits) is a 2-byte immediate.",
     [("no tracking", ["no m flag tracking", "does not track"]),
      ("digits", ["four hex digits", "how the number is written"]),
      ("2 bytes", ["2-byte", "two bytes"])], []),
    ("XCE", "What must be true before XCE switches to emulation mode, and what changes?",
     "XCE swaps the carry and emulation flags; with carry set it enters emulation mode, which "
     "forces 8-bit registers, clears the X and Y high bytes and puts the stack in page $01.",
     [("swap", ["swaps the carry", "exchange"]), ("carry set", ["carry set"]),
      ("page 1", ["page $01", "page 1"])], []),
    ("PHK\nPLB", "What does this pair do?",
     "PHK pushes the program bank register (PBR) and PLB pulls it into the data bank "
     "register, so data accesses use the bank the code runs in.",
     [("program bank", ["program bank", "pbr"]), ("data bank", ["data bank", "dbr"])], []),
    ("WDM", "How long is WDM and what does it do?",
     "WDM is reserved: on the 65816 it is a 2-byte instruction (opcode $42 plus a signature "
     "byte) that does nothing, so the program counter advances by 2.",
     [("two bytes", ["2-byte", "two bytes", "advances by 2"]), ("no-op", ["nothing", "no-op"])],
     []),
    ("LDA $10", "Which byte does this read in ALTTP, with D = $0000?",
     "With the direct page register at $0000 this reads $7E0010: WRAM $7E0000-$7E1FFF is "
     "mirrored at $0000-$1FFF of banks $00-$3F, and ALTTP keeps the direct page at $0000.",
     [("7E0010", ["$7e0010"]), ("mirror", ["mirror"]), ("direct page", ["direct page"])], []),
    ("BRK", "What does BRK push in native mode?",
     "In native mode BRK pushes the program bank, the return address (PC + 2) and P, then "
     "jumps through the native BRK vector at $FFE6.",
     [("program bank", ["program bank", "pbr"]), ("return address", ["return address",
                                                                     "pc + 2"]),
      ("vector", ["$ffe6", "vector"])], []),
    ("TCS", "What does TCS do in emulation mode?",
     "TCS copies the accumulator to the stack pointer; in emulation mode the stack pointer's "
     "high byte stays $01, so only the low byte is taken.",
     [("copies", ["copies", "transfers"]), ("stack", ["stack pointer"]),
      ("high byte 01", ["$01", "page 1"])], []),
    ("LDA $FFFF,X", "With DBR=$7E and X=$0002, which address is read?",
     "Absolute indexed addressing adds X to the 16-bit address and may cross into the next "
     "bank: $7E:FFFF + 2 reads $7F:0001.",
     [("next bank", ["next bank", "$7f0001", "$7f:0001"]), ("adds x", ["adds x"])],
     [("wraps in bank", [r"wraps (around )?(within|in) the (same )?bank"])]),
    ("REP #$20\nLDA $10", "How many bytes does this load?",
     "With M cleared the accumulator is 16-bit, so LDA $10 reads two bytes: $10 (low) and $11 "
     "(high).",
     [("16-bit", ["16-bit"]), ("two bytes", ["two bytes", "2 bytes"]),
      ("little-endian", ["$10 (low)", "low"])], []),
]


def oracle_docs(rng: random.Random) -> Draft:
    code, request, reference, concepts, claims = rng.choice(ORACLE_FACTS)
    return _draft("oracle_docs", 2, code, request, reference, concepts, claims)


TEMPLATES: dict[str, Callable[[random.Random], Draft]] = {
    "explanation": explanation,
    "instruction": instruction,
    "pattern": pattern,
    "asar_address_operators": asar_address_operators,
    "asar_labels": asar_labels,
    "asar_data_directives": asar_data_directives,
    "hardware_register": hardware_register,
    "advanced_pattern": advanced_pattern,
    "alttp_pattern": alttp_pattern,
    "complete_routine": complete_routine,
    "oracle_docs": oracle_docs,
}


def drafts(rng: random.Random) -> list[Draft]:
    """PER_CATEGORY drafts per category with distinct code."""
    return distinct_drafts({category: (lambda _, t=template: t(rng))
                            for category, template in TEMPLATES.items()}, PER_CATEGORY)
