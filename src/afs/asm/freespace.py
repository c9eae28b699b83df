"""asar's freespace: code placed in free room of the ROM being patched, behind RATS tags.

`freespace`/`freecode`/`freedata` open a block that asar places where the ROM holds enough
free bytes (the freespace byte, $00 unless `freespacebyte` says otherwise), behind an
8-byte RATS tag: "STAR", the length minus one (16 bits) and its complement. `autoclean`
frees the block an earlier patch placed (it follows the JSL/JML/dl that the ROM holds where
the new one goes), `prot` makes a block free others with it. Every detail follows asar
1.91 (checked against the binary, `tests/asm/test_asar_freespace.py`):

- asar runs three passes. Pass 0 assembles each block at a stand-in address and measures
  it; an instruction that names a label not defined yet counts two more bytes (asar sizes
  such an instruction twice). Pass 1 places each block, in source order, in the first room
  big enough (LoROM: from file offset $80000, never across a bank; a full ROM grows from
  512 KiB to 1 then 2 MiB, for data to 4 MiB, as asar grows it; SA-1 and HiROM as asar
  searches them); `autoclean`s free their old blocks as pass 1 reaches them.
  The last pass writes the tags with the final lengths. AFS maps its passes onto these:
  its pass 0 and 1 are asar's, every later one is asar's pass 2 (and repeats it exactly).
- A label carries its block: from inside a block, a label of another block or outside
  any is 3 bytes wide, one of the same block 2 (asar never assumes two blocks share a bank).
  The tag rides in the label's value above bit 40 (`TAG`), masked off when it is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from afs.asm import mapping
from afs.asm.asar_warnings import feature, warn
from afs.asm.expressions import parse_expression
from afs.asm.mapping import asar_pc_to_snes
from afs.asm.passstate import FREESPACE_TAG as TAG
from afs.asm.passstate import Segment

if TYPE_CHECKING:
    from afs.asm.parser import Directive, Instruction
    from afs.asm.passstate import PassState

STANDIN = 0x008000     # where pass 0 assembles every block (asar's `(id << 24) | $8000`)
MAX_BLOCKS = 125       # asar: "A patch may not contain more than 125 freespaces."
_RATS = b"STAR"
_SA1_BANKS = (0x000000, 0x100000, 0x200000, 0x300000)   # asar's sa1banks the search tries


@dataclass
class _Block:
    """What asar keeps about freespace block `id` from pass to pass."""

    pos: int = -1            # SNES address of the code (behind the tag); -1 not placed
    length: int = 0          # measured by the last pass that closed the block
    leak: bool = True        # no autoclean/prot points into it (pass 1)
    orgpos: int = -2         # where the block an autoclean freed was (static blocks)
    orglen: int = -1
    byte: int = 0            # its freespace byte
    static: bool = False


class Freespace:
    """The ROM image asar patches (tags written, old blocks freed) and the blocks placed."""

    def __init__(self, rom: bytes | None) -> None:
        self.original = bytes(rom or b"")          # asar's romdata_r: what read1() reads
        self.image = bytearray(self.original)      # asar's romdata before the code lands
        self.blocks: dict[int, _Block] = {}
        self.used = False                          # any freespace command seen

    def block(self, ident: int) -> _Block:
        return self.blocks.setdefault(ident, _Block())

    def new_pass(self, number: int) -> FreespacePass:
        return FreespacePass(number)

    def width(self, state: PassState, value: int, here: int) -> int:
        """The width of label `value` in an operand assembled at bank `here`."""
        return width(state, value, here)

    def result(self) -> bytes | None:
        """The image to patch, when freespace was used."""
        return bytes(self.image) if self.used else None

    def settled(self, number: int) -> bool:
        """Whether pass `number` may be the last: with freespace, asar's three at least."""
        return not self.used or number >= 2

    # --- the ROM image ------------------------------------------------------------------------
    def _byte(self, offset: int) -> int:
        return self.image[offset] if 0 <= offset < len(self.image) else 0

    def _tag_at(self, offset: int) -> int | None:
        """The length field of a valid RATS tag at `offset`, or None."""
        img = self.image
        if offset < 0 or offset + 8 > len(img) or img[offset:offset + 4] != _RATS:
            return None
        if img[offset + 4] ^ img[offset + 6] != 0xFF or img[offset + 5] ^ img[offset + 7] != 0xFF:
            return None
        return img[offset + 4] | img[offset + 5] << 8

    def rats_start(self, address: int, mapper: str) -> int:
        """asar's `ratsstart`: the SNES address of the tag of the block holding `address`."""
        pcaddr = mapping.snes_to_pc(address, mapper) if 0 <= address <= 0xFFFFFF else None
        if pcaddr is None or pcaddr < 0x7FFF8:
            return -1
        low = pcaddr - 0x10000
        where = self.image.rfind(_RATS, low, pcaddr + 4)
        while where >= 0:
            size = self._tag_at(where)
            if size is not None:
                i = where - low
                return asar_pc_to_snes(where, mapper) if size > 0x10000 - i - 8 - 1 else -1
            where = self.image.rfind(_RATS, low, where + 3)
        return -1

    def write(self, offset: int, data: bytes) -> None:
        if offset + len(data) > len(self.image):
            self.image.extend(bytes(offset + len(data) - len(self.image)))
        self.image[offset:offset + len(data)] = data

    def resize(self, address: int, length: int, mapper: str) -> None:
        """asar's `resizerats`: the tag of the block at `address` says `length` bytes."""
        start = self.rats_start(address, mapper)
        offset = mapping.snes_to_pc(start, mapper) if start >= 0 else None
        if offset is None:
            return
        n = length - 1 if length else 0
        self.write(offset + 4, bytes((n & 0xFF, n >> 8 & 0xFF, (n & 0xFF) ^ 0xFF,
                                      (n >> 8 & 0xFF) ^ 0xFF)))

    def remove(self, address: int, clean: int, mapper: str, depth: int = 0) -> None:
        """asar's `removerats`: free the block holding `address` and those its PROT names."""
        start = self.rats_start(address, mapper)
        if start < 0:
            return
        offset = mapping.snes_to_pc(start, mapper)
        assert offset is not None
        if depth < 64:
            for target in self._protected(offset + 8):
                self.remove(target, 0x00, mapper, depth + 1)
        size = self._byte(offset + 4) | self._byte(offset + 5) << 8
        self.write(offset, bytes((clean,)) * (size + 9))

    def _protected(self, offset: int) -> list[int]:
        """The addresses a block's `PROT` entry lists (asar reads its metadata only when a
        `STOP` ends it; it blanks the entry's name so that a loop cannot recur)."""
        img = self.image

        def name_at(p: int) -> bytes:
            return bytes(img[p:p + 4]) if p + 5 <= len(img) else b""

        p = offset
        while len(name := name_at(p)) == 4 and name.isupper() and name.isalpha():
            if name == b"STOP":
                break
            p += 5 + img[p + 4]
        else:
            return []
        out: list[int] = []
        p = offset
        while len(name := name_at(p)) == 4 and name.isupper() and name.isalpha():
            if name == b"STOP":
                break
            size = img[p + 4]
            if name == b"PROT":
                img[p:p + 4] = b"NULL"
                if size % 3 == 0:
                    out += [img[p + 5 + i] | img[p + 6 + i] << 8 | img[p + 7 + i] << 16
                            for i in range(0, size, 3)]
                # asar frees each target as it reads it; they are all read first here,
                # which is the same unless a target's block holds this entry.
            p += 5 + size
        return out

    def find(self, size: int, code: bool, align: bool, byte: int, default_byte: int,
             mapper: str, bank_borders: bool = True) -> int:
        """asar's `getsnesfreespace`: place `size` bytes (tag written), or -1.
        `bank_borders=False` (LoROM only): the block may span banks (`incbin -> Label`)."""
        if not size:
            return asar_pc_to_snes(0x1234, mapper)
        if size > 0x10000:
            return -1
        size += 8
        if mapper == "lorom":
            if size > 0x8008 and bank_borders:
                return -1
            banksize = 0x7FFF if bank_borders else 0xFFFFFF
            minalign = 0x7FFF if align or not (bank_borders or size < 32768) else 0
            grow = True
            while True:
                rom_len = len(self.image)
                if rom_len > 0x200000 and not code:
                    pos = self._try(0x200000 - 8, min(rom_len, 0x400000), size, banksize,
                                    minalign, byte)
                    if pos >= 0:
                        return asar_pc_to_snes(pos, mapper)
                pos = self._try(0x80000, min(rom_len, 0x200000), size, banksize, minalign,
                                byte)
                if pos >= 0:
                    return asar_pc_to_snes(pos, mapper)
                if not grow:
                    return -1
                grow = False
                if rom_len == 0x80000:
                    new, header = 0x100000, 0x0A
                elif rom_len == 0x100000:
                    new, header = 0x200000, 0x0B
                elif code:
                    return -1
                elif rom_len in (0x200000, 0x300000):
                    new, header = 0x400000, 0x0C
                else:
                    return -1
                self.image.extend(bytes((default_byte,)) * (new - rom_len))
                self.image[0x7FD7] = header
        rom_len = len(self.image)
        if mapper in ("hirom", "exhirom"):
            if code:
                for i in range(0x8000, min(rom_len, 0x400000), 0xFFFF):
                    pos = self._try(i, min(i + 0x7FFF, rom_len), size, 0x7FFF,
                                    0xFFFF if align else 0, byte)
                    if pos != -1:
                        return asar_pc_to_snes(pos, mapper)
                return -1
            return asar_pc_to_snes(self._try(0, rom_len, size, 0xFFFF, 0xFFFF if align else 0,
                                             byte), mapper)
        if mapper == "exlorom":
            return asar_pc_to_snes(self._try(0, rom_len, size, 0x7FFF, 0x7FFF if align else 0,
                                             byte), mapper)
        if mapper == "sfxrom" and code:
            return asar_pc_to_snes(self._try(0x80000, rom_len, size, 0x7FFF,
                                             0x7FFF if align else 0, byte), mapper)
        if mapper[:6] == "sa1rom":
            return self._find_sa1(size, align, byte, default_byte, mapper)
        if mapper == "fullsa1rom":
            if not code and rom_len > 0x400000:
                pos = self._try(0x400000, rom_len, size, 0xFFFF, 0xFFFF if align else 0, byte)
                if pos >= 0:
                    return asar_pc_to_snes(pos, mapper)
            return asar_pc_to_snes(self._try(0x80000, rom_len, size, 0x7FFF,
                                             0x7FFF if align else 0, byte), mapper)
        return -1

    def _find_sa1(self, size: int, align: bool, byte: int, default_byte: int,
                  mapper: str) -> int:
        """asar's SA-1 search: the four 1 MiB banks the mapper can show, growing the ROM by
        one of them when none has room."""
        grow = True
        while True:
            rom_len = len(self.image)
            next_bank = -1
            for bank in _SA1_BANKS:
                if bank + 0x100000 > rom_len:
                    if bank <= rom_len and next_bank < 0:
                        next_bank = bank
                    continue
                pos = self._try(bank or 0x80000, bank + 0x100000, size, 0x7FFF,
                                0x7FFF if align else 0, byte)
                if pos >= 0:
                    return asar_pc_to_snes(pos, mapper)
            if not grow or next_bank < 0:
                return -1
            grow = False
            self.image.extend(bytes((default_byte,)) * (next_bank + 0x100000 - rom_len))
            self.image[0x7FD7] = (0, 0x0A, 0x0B, 0x0C, 0x0C, 0x0D, 0x0D, 0x0D, 0x0D)[
                len(self.image) >> 20]

    def _try(self, start: int, end: int, size: int, banksize: int, minalign: int,
             byte: int) -> int:
        """asar's `trypcfreespace`: the first room of `size` bytes (tag included) from
        `start` whose tag and contents sit in one bank, skipping other blocks' tags."""
        img = self.image
        while start + size <= end:
            if (((start + 8) & ~banksize) != ((start + size - 1) & ~banksize & 0xFFFFFF)
                    and (start & banksize & 0xFFFFF8) != (banksize & 0xFFFFF8)):
                start = (start & ~banksize & 0xFFFFFF) | (banksize & 0xFFFFF8)
                continue
            if minalign:
                start = (start & ~minalign & 0xFFFFFF) | (minalign & 0xFFFFF8)
            tagged = self._tag_at(start)
            if tagged is not None:
                start += tagged + 1 + 8
                continue
            bad = _first_other(byte).search(img, start, start + size)
            if bad is not None and not bad.start() - start and not minalign:
                start = self._skip(start, size, banksize, byte)
                continue
            if bad is not None:
                i = bad.start() - start
                if (start & minalign) == 0x7FF8 and i < 8:
                    i = 8
                start += i if i else 1
                continue
            if start + size > len(img):
                return -1
            n = size - 8
            if n:
                n -= 1          # asar: "rats tags eat one byte more than specified"
            self.write(start, _RATS + bytes((n & 0xFF, n >> 8 & 0xFF, (n & 0xFF) ^ 0xFF,
                                             (n >> 8 & 0xFF) ^ 0xFF)))
            return start + 8
        return -1

    def _skip(self, start: int, size: int, banksize: int, byte: int) -> int:
        """Where asar's one-byte steps from `start` (not a free byte, not a tag) first stop
        to look again: the next free byte, the next tag, or where the bank check acts."""
        img = self.image
        free = _first_same(byte).search(img, start + 1)
        tag = img.find(_RATS, start + 1)
        bank_end = (start | banksize) + 1
        stops = [max(start + 1, bank_end - size + 1), len(img)]
        stops += [m for m in (free.start() if free else -1, tag) if m > start]
        return min(stops)


_patterns: dict[tuple[bool, int], re.Pattern[bytes]] = {}


def _first_other(byte: int) -> re.Pattern[bytes]:
    key = (False, byte)
    if key not in _patterns:
        _patterns[key] = re.compile(b"[^" + re.escape(bytes((byte,))) + b"]")
    return _patterns[key]


def _first_same(byte: int) -> re.Pattern[bytes]:
    key = (True, byte)
    if key not in _patterns:
        _patterns[key] = re.compile(re.escape(bytes((byte,))))
    return _patterns[key]


@dataclass
class FreespacePass:
    """Freespace state of one pass (asar resets it at every pass)."""

    number: int
    ident: int = 0                  # the block being assembled (0: none)
    start: int = 0                  # its first address this pass
    extra: int = 0                  # asar's freespaceextra: bytes counted for forward labels
    freecode: bool = False
    next_ident: int = 1
    default_byte: int = 0
    use: int = 0                    # freespaceuse
    meta: str = "ban"               # may `prot` follow? (ban / allow / used)
    meta_pc: int = -1               # ... only where nothing was written since
    stack: list[tuple[int, int, int, bool]] = field(default_factory=list)
    optimize_set: set[str] = field(default_factory=set)


# --- hooks for the directive dispatch and the pass --------------------------------------------

def width(state: PassState, value: int, here: int) -> int:
    """asar's operand width for a label from or into freespace (`value` tagged)."""
    fs = state.fs
    ident = value // TAG
    address = value % TAG
    bank = (ident << 8) | (address >> 16)
    word = address & 0xFFFF
    if state.optimize_bank is not None:
        relaxed = state.optimize_bank
    elif not fs.ident:
        relaxed = here
    else:
        relaxed = 0 if fs.freecode else 0x40
    in_dp = 0 <= word - state.dp_base < 0x100
    if state.optimize_dp == "ram" and bank == 0x7E and in_dp:
        return 1
    if state.optimize_dp == "always" and (bank == 0x7E or not bank & 0x40) and in_dp:
        return 1
    if (state.optimize_address != "default" and not relaxed & 0x40 and bank == 0x7E
            and word < 0x2000):
        return 2
    if (state.optimize_address == "mirrors" and not relaxed & 0x40 and not bank & 0x40
            and word < 0x8000):
        return 2
    if state.optimize_bank is not None:
        return 3 if ident or bank != state.optimize_bank else 2
    return 2 if ident == fs.ident else 3


def forward_labels(state: PassState, st: Instruction) -> None:
    """asar's pass 0 sizes an instruction whose operand names a label not defined yet
    twice (once when both `optimize dp` and `optimize address` were given), and counts a
    byte more into its block each time; a size suffix, an anonymous label or the
    two-bank form of MVN/MVP skip the sizing."""
    op = st.operand
    if st.suffix is not None or op.expr is None or op.expr2 is not None:
        return
    fs = state.fs
    if any(state.lookup(name) is None for name in op.expr.labels):
        fs.extra += 1 if {"dp", "address"} <= fs.optimize_set else 2


def end_block(state: PassState) -> None:
    """asar's `freespaceend`: the block being assembled closes (org, pullpc, a new block,
    the end of the pass)."""
    fs = state.fs
    if fs.ident and state.pc is not None:
        state.asm.freespace.block(fs.ident).length = state.pc - fs.start + fs.extra
        fs.ident = 0
    fs.extra = 0


def push(state: PassState) -> None:
    fs = state.fs
    fs.stack.append((fs.ident, fs.start, fs.extra, fs.freecode))
    fs.ident = 0


def pull(state: PassState) -> None:
    end_block(state)
    fs = state.fs
    fs.ident, fs.start, fs.extra, fs.freecode = fs.stack.pop()


def label_tag(state: PassState) -> int:
    """What a label defined here adds to its value (its block's tag)."""
    return state.fs.ident * TAG


def run(state: PassState, d: Directive) -> None:
    """`freespace`/`freecode`/`freedata`, `autoclean`, `prot`, `freespacebyte`."""
    name = d.name
    if name != "freespacebyte":
        state.asm.freespace.used = True
    if state.spcblock is not None and name != "freespacebyte":
        raise state.error(f"'{name}' is not allowed inside an spcblock")
    if name in ("freespace", "freecode", "freedata"):
        _open(state, d)
    elif name == "prot":
        _prot(state, d)
    elif name in ("autoclean", "autoclear"):
        if name == "autoclear":
            warn(state, "autoclear_deprecated")
        _autoclean(state, d)
    else:
        if len(d.args) != 1 or not d.args[0]:
            raise state.error("expected 'freespacebyte value'")
        state.fs.default_byte = state.asm.evaluate_text(state, d.args[0], d.arg_columns[0],
                                                        "'freespacebyte'") & 0xFF


def _number(state: PassState, text: str, column: int) -> int:
    return parse_expression(text, column=column, file=state.file, line=state.line,
                            precedence=state.precedence).evaluate(state)


_OPTIONS = "'freespace ram|noram[, align][, cleaned][, static]' (freecode: ram, freedata: noram)"


def _open(state: PassState, d: Directive) -> None:
    fs, shared = state.fs, state.asm.freespace
    words = [a.strip() for a in d.args]
    columns = list(d.arg_columns)
    if d.name != "freespace":
        words.insert(0, "ram" if d.name == "freecode" else "noram")
        columns.insert(0, d.column)
    ram: bool | None = None
    static = align = cleaned = False
    byte = fs.default_byte
    for word, column in zip(words, columns, strict=True):
        low = word.lower()
        if low in ("ram", "noram"):
            if ram is not None:
                raise state.error(f"invalid freespace request: expected {_OPTIONS}", column)
            ram = low == "ram"
        elif low in ("static", "fixed", "align", "cleaned"):
            if low == "fixed":
                feature(state, "fixed")
            seen = {"static": static, "fixed": static, "align": align, "cleaned": cleaned}[low]
            if seen:
                raise state.error(f"invalid freespace request: '{word}' given twice", column)
            static = static or low in ("static", "fixed")
            align = align or low == "align"
            cleaned = cleaned or low == "cleaned"
        elif not word:
            raise state.error(f"invalid freespace request: empty option; expected {_OPTIONS}",
                              column)
        else:
            feature(state, "freespace_byte")      # asar's deprecated byte option
            byte = _number(state, word, column) & 0xFF
    if ram is None:
        raise state.error(f"invalid freespace request: expected {_OPTIONS}")
    if state.mapper == "norom":
        raise state.error("can't find freespace in norom")
    if state.struct is not None:
        raise state.error(f"'{d.name}' inside a struct")
    end_block(state)
    ident = fs.next_ident
    if ident > MAX_BLOCKS:
        raise state.error(f"a patch may not contain more than {MAX_BLOCKS} freespaces")
    fs.next_ident += 1
    block = shared.block(ident)
    block.byte = byte
    fs.freecode = ram
    mapper = state.mapper
    pos = STANDIN
    if fs.number == 1:
        if static and block.orgpos < 0:
            block.pos, block.leak = STANDIN, False
            state.defer(state.error("a static freespace must be targeted by at least one "
                                    "autoclean"))
        elif static and block.orgpos:
            block.pos = block.orgpos
        else:
            block.pos = shared.find(block.length, ram, align, byte, fs.default_byte, mapper)
        pos = block.pos
    elif fs.number >= 2:
        pos = block.pos
        if static and block.orgpos < 0:
            state.defer(state.error("a static freespace must be targeted by at least one "
                                    "autoclean"))
        if not (static and block.orgpos == -1):
            shared.resize(pos, block.length, mapper)
            if block.leak and not cleaned:
                warn(state, "freespace_leaked")
            if static and block.orgpos > 0 and block.length > block.orglen:
                state.defer(state.error("a static freespace may not grow"))
            fs.use += 8 + block.length
    block.static = static
    if pos < 0:
        raise state.error(f"no freespace found (requested size: {block.length})")
    state.pc = pos & 0xFFFFFF
    state.base_delta = 0
    state.optimize_bank = None
    fs.ident = ident
    fs.start = state.pc
    fs.meta, fs.meta_pc = "allow", state.pc
    state.emit(b"", "directive")


def incbin_to(state: PassState, data: bytes, target: str, column: int) -> None:
    """asar's deprecated `incbin "file" -> target`: the bytes at SNES address `target`
    (the program counter stays), or, when `target` is a label name, in a freespace block
    asar places in its first pass (spanning banks if it must) and names `target`."""
    fs, shared = state.fs, state.asm.freespace
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", target):
        address = _number(state, target, column) & 0xFFFFFF
        offset = mapping.snes_to_pc(address, state.mapper)
        if offset is None:
            raise state.error(f"SNES address ${address:06X} does not map to ROM", column)
        state.segments.append(Segment(address, bytearray(data), offset, fs.default_byte))
        return
    shared.used = True
    ident = fs.next_ident
    if ident > MAX_BLOCKS:
        raise state.error(f"a patch may not contain more than {MAX_BLOCKS} freespaces")
    fs.next_ident += 1
    block = shared.block(ident)
    if fs.number == 0:
        if len(data) > 0x10000:
            raise state.error("incbin to freespace takes at most 64 KiB")
        block.pos = shared.find(len(data), False, False, 0, fs.default_byte, state.mapper,
                                bank_borders=False)
        if block.pos < 0:
            raise state.error(f"no freespace found (requested size: {len(data)})")
        offset = mapping.snes_to_pc(block.pos, state.mapper)
        if offset is not None and data:
            shared.write(offset, b"\xff" * len(data))
    state.define_label(target, (block.pos & 0xFFFFFF) + ident * TAG)
    if fs.number >= 2:
        if block.leak:
            warn(state, "freespace_leaked")
        offset = mapping.snes_to_pc(block.pos, state.mapper)
        if data and offset is not None:
            state.segments.append(Segment(block.pos & 0xFFFFFF, bytearray(data), offset,
                                          fs.default_byte))
        fs.use += 8 + len(data)


def _label(state: PassState, text: str, column: int) -> int:
    """A label as `autoclean`/`prot` name it: one name, its tag kept."""
    if not re.fullmatch(r"[A-Za-z_.][A-Za-z0-9_.]*", text):
        raise state.error(f"expected a label name, not {text!r}", column)
    value = state.lookup(text)
    if value is None:
        state.unresolved += 1
        state.defer(state.error(f"label '{text}' not found", column))
        return 0
    return value


def _prot(state: PassState, d: Directive) -> None:
    fs, shared = state.fs, state.asm.freespace
    if fs.meta == "ban" or not fs.ident or state.pc != fs.meta_pc:
        state.defer(state.error("prot must be used at the start of a freespace block"))
        return
    if not d.args or not all(d.args):
        raise state.error("expected 'prot Label[, Label...]'")
    if len(d.args) * 3 > 255:
        raise state.error("too many entries to prot (at most 85)")
    if fs.meta == "used":
        state.pc = (state.pc or 0) - 5
        seg = state.segments[-1]
        del seg.data[-5:]  # type: ignore[attr-defined]
    out = bytearray(b"PROT") + bytes((len(d.args) * 3,))
    for text, column in zip(d.args, d.arg_columns, strict=True):
        value = _label(state, text.strip(), column)
        out += (value % TAG & 0xFFFFFF).to_bytes(3, "little")
        if fs.number == 1:
            shared.block(value // TAG).leak = False
    out += b"STOP\x00"
    state.emit(bytes(out), "data")
    fs.meta, fs.meta_pc = "used", state.pc


def _autoclean(state: PassState, d: Directive) -> None:
    fs, shared = state.fs, state.asm.freespace
    mapper = state.mapper
    if len(d.args) != 1 or not d.args[0].strip():
        raise state.error("expected 'autoclean JSL|JML|dl Label' or 'autoclean address'")
    parts = d.args[0].split()
    if len(parts) == 1:
        if fs.number == 0:
            shared.remove(_number(state, parts[0], d.arg_columns[0]) & 0xFFFFFF,
                          fs.default_byte, mapper)
        return
    if len(parts) != 2:
        raise state.error("expected 'autoclean JSL|JML|dl Label' or 'autoclean address'")
    if fs.ident:
        raise state.error("autoclean used in freespace")
    kind = parts[0].lower()
    if kind in ("jsl.l", "jml.l"):
        kind = kind[:3]
    if kind not in ("jsl", "jml", "dl"):
        raise state.error(f"broken autoclean command: expected JSL, JML or dl, not "
                          f"{parts[0]!r}", d.arg_columns[0])
    label_column = d.arg_columns[0] + d.args[0].index(parts[1], len(parts[0]))
    value = _label(state, parts[1], label_column)
    target = value // TAG
    num = value % TAG & 0xFFFFFF
    block = shared.block(target)
    if fs.number == 1:
        block.leak = False
    here = state.logical_pc

    def reused(ratsloc: int) -> bool:
        return any(b.pos != -1 and b.pos & 0xFFFFFF == ratsloc
                   for i, b in shared.blocks.items() if i < fs.next_ident)

    pcpos = mapping.snes_to_pc(here, mapper)
    original = shared.original
    if kind in ("jsl", "jml"):
        orgpos = _read3(original, mapping.snes_to_pc(here + 1, mapper))
        ratsloc = block.orgpos
        first = 0x22 if kind == "jsl" else 0x5C
        if pcpos is not None and pcpos < len(original) and original[pcpos] == first:
            ratsloc = shared.rats_start(orgpos, mapper) + 8
            block.orglen = _read2(original, mapping.snes_to_pc(ratsloc - 4, mapper)) + 1
            if not block.static and fs.number == 1 and not reused(ratsloc):
                shared.remove(orgpos, block.byte, mapper)
        elif ratsloc < 0:
            ratsloc = 0
        state.emit(bytes((first,)) + num.to_bytes(3, "little"), "data")
        if fs.number >= 2:
            start = shared.rats_start(num, mapper)
            if start >= num or start < 0:
                state.defer(_end_error(state))
        block.orgpos = ratsloc
    else:
        orgpos = _read3(original, pcpos)
        ratsloc = block.orgpos
        start = shared.rats_start(num, mapper)
        if fs.number == 1:
            ratsloc = shared.rats_start(orgpos, mapper) + 8
            if not block.static and not reused(ratsloc):
                shared.remove(orgpos, block.byte, mapper)
        elif not ratsloc:
            ratsloc = 0
        if (start == num or start < 0) and fs.number >= 2:
            state.defer(_end_error(state))
        state.emit(num.to_bytes(3, "little"), "data")
        block.orgpos = ratsloc
        block.orglen = _read2(original, mapping.snes_to_pc(ratsloc - 4, mapper)
                              if ratsloc >= 4 else None) + 1


def _end_error(state: PassState) -> Exception:
    return state.error("don't autoclean a label at the end of a freespace block (or outside "
                       "one): asar would free what it must not")


def _read2(rom: bytes, offset: int | None) -> int:
    if offset is None or offset < 0 or offset + 2 > len(rom):
        return -1
    return rom[offset] | rom[offset + 1] << 8


def _read3(rom: bytes, offset: int | None) -> int:
    if offset is None or offset < 0 or offset + 3 > len(rom):
        return -1
    return rom[offset] | rom[offset + 1] << 8 | rom[offset + 2] << 16
