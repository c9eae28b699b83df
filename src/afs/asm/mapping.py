"""SNES address <-> ROM file offset for asar's mapping modes, and asar's header checksum.

Mappings as asar 1.91 applies them (checked against the binary, `org X : db 1` into a new
file for each mode): LoROM, HiROM, ExLoROM, ExHiROM, no-ROM (offset = address), SA-1 (`sa1rom`
with its four bank registers, 0,1,2,3 unless `sa1rom a,b,c,d` says: then the mapper's name is
`sa1rom a,b,c,d`; `fullsa1rom`: 8 MB) and SuperFX (`sfxrom`).
"""

from __future__ import annotations

MAPPERS = ("lorom", "hirom", "exlorom", "exhirom", "norom", "sa1rom", "fullsa1rom", "sfxrom")


def sa1rom_mapper(banks: str) -> str:
    """The mapper `sa1rom a,b,c,d` names (`banks`: "a,b,c,d", digits)."""
    return "sa1rom" if banks == "0,1,2,3" else f"sa1rom {banks}"


def _sa1_banks(mapper: str) -> tuple[int, ...]:
    """asar's `sa1banks`: where each 2 MB region's bank register points (registers 0, 1, 4, 5
    are the four of `sa1rom a,b,c,d`; the others stay 0)."""
    a, b, c, d = (int(x) << 20 for x in (mapper[7:] or "0,1,2,3").split(","))
    return (a, b, 0, 0, c, d, 0, 0)


def snes_to_pc(address: int, mapper: str) -> int | None:
    """File offset of a SNES address under `mapper`, or None when it is not ROM."""
    address &= 0xFFFFFF
    bank = address >> 16
    low = address & 0xFFFF
    if mapper == "norom":
        return address
    if bank in (0x7E, 0x7F):
        return None
    if mapper == "lorom":
        if low < 0x8000 and (bank & 0x7F) < 0x40:
            return None
        return ((bank & 0x7F) << 15) | (low & 0x7FFF)
    if mapper == "exlorom":
        if low < 0x8000 and (bank & 0x7F) < 0x40:
            return None
        offset = ((bank & 0x7F) << 15) | (low & 0x7FFF)
        return offset if bank & 0x80 else offset + 0x400000
    if mapper == "hirom":
        if low < 0x8000 and (bank & 0x7F) < 0x40:
            return None
        return address & 0x3FFFFF
    if mapper == "exhirom":
        if low < 0x8000 and (bank & 0x7F) < 0x40:
            return None
        return address & 0x3FFFFF if bank & 0x80 else (address & 0x3FFFFF) + 0x400000
    if mapper[:6] == "sa1rom":   # (asar's `snestopc`, its bank registers by region)
        banks = _sa1_banks(mapper)
        if address & 0x408000 == 0x008000:
            return banks[address >> 21] | (address & 0x1F0000) >> 1 | (address & 0x7FFF)
        if address & 0xC00000 == 0xC00000:
            return banks[(address & 0x100000) >> 20 | (address & 0x200000) >> 19] \
                | (address & 0x0FFFFF)
        return None
    if mapper == "fullsa1rom":
        if bank >= 0xC0:
            return ((bank - 0xC0) << 16 | low) + 0x400000
        if low < 0x8000 or (bank & 0x7F) >= 0x40:
            return None
        return (0x200000 if bank & 0x80 else 0) | (bank & 0x3F) << 15 | (low & 0x7FFF)
    if mapper == "sfxrom":
        if 0x40 <= bank < 0x60:
            return (bank - 0x40) << 16 | low
        if bank >= 0x40 or low < 0x8000:
            return None
        return bank << 15 | (low & 0x7FFF)
    raise ValueError(f"unknown mapper {mapper!r}")


def pc_to_snes(offset: int, mapper: str) -> int | None:
    """The canonical SNES address of a file offset under `mapper` (None if out of range)."""
    if offset < 0:
        return None
    if mapper == "norom":
        return offset if offset <= 0xFFFFFF else None
    if mapper == "lorom":
        return ((offset >> 15) << 16) | 0x8000 | (offset & 0x7FFF) if offset < 0x400000 else None
    if mapper == "exlorom":
        if offset < 0x400000:
            return 0x800000 | ((offset >> 15) << 16) | 0x8000 | (offset & 0x7FFF)
        if offset < 0x7F0000:
            offset -= 0x400000
            return ((offset >> 15) << 16) | 0x8000 | (offset & 0x7FFF)
        return None
    if mapper == "hirom":
        return 0xC00000 | offset if offset < 0x400000 else None
    if mapper[:6] == "sa1rom":   # (asar's `pctosnes`: the first register holding its MB)
        banks = _sa1_banks(mapper)
        for i, start in enumerate(banks):
            if start == offset & 0x700000:
                return 0x008000 | i << 21 | (offset & 0x0F8000) << 1 | (offset & 0x7FFF)
        return None
    if mapper in ("fullsa1rom", "sfxrom"):
        lorom_end = 0x200000 if mapper == "sfxrom" else 0x400000
        if offset < lorom_end:
            bank = offset >> 15
            return (0x800000 | (bank - 0x40) << 16 if bank >= 0x40 else bank << 16) | 0x8000 \
                | (offset & 0x7FFF)
        if mapper == "fullsa1rom" and offset < 0x800000:
            return 0xC00000 | (offset - 0x400000)
        return None
    if mapper == "exhirom":
        if offset < 0x400000:
            return 0xC00000 | offset
        if offset < 0x7E0000:
            return 0x400000 | (offset - 0x400000)
        return None
    raise ValueError(f"unknown mapper {mapper!r}")


def asar_pc_to_snes(offset: int, mapper: str) -> int:
    """asar's `pctosnes` (LoROM answers in the FastROM banks $80+); -1 when unmapped."""
    if offset < 0:
        return -1
    if mapper == "lorom":
        if offset >= 0x400000:
            return -1
        return ((offset << 1) & 0x7F0000) | (offset & 0x7FFF) | 0x8000 | 0x800000
    if mapper == "hirom":
        return offset | 0xC00000 if offset < 0x400000 else -1
    if mapper == "exhirom":
        if offset >= 0x800000:
            return -1
        return offset if offset & 0x400000 else offset | 0xC00000
    if mapper == "exlorom":
        if offset >= 0x800000:
            return -1
        fast = 0 if offset & 0x400000 else 0x800000
        offset &= 0x3FFFFF
        return ((offset << 1) & 0x7F0000) | (offset & 0x7FFF) | 0x8000 | fast
    if mapper == "sfxrom":
        if offset >= 0x200000:
            return -1
        return ((offset << 1) & 0x7F0000) | (offset & 0x7FFF) | 0x8000
    got = pc_to_snes(offset, mapper)
    return -1 if got is None else got


def header_offset(mapper: str) -> int | None:
    """File offset of the internal header's checksum complement ($00:FFDC), if any."""
    if mapper == "norom":
        return None
    return snes_to_pc(0x00FFDC, mapper)


def fix_checksum(rom: bytearray, mapper: str) -> bool:
    """Write the internal-header checksum as asar does; False when the file ends before it.

    asar sets complement/checksum to FFFF/0000, sums the largest power-of-two prefix, adds
    the remainder's sum times (that power of two // remainder length), and writes the four
    bytes clipped to the file (a file ending inside the header is not extended).
    """
    where = header_offset(mapper)
    if where is None or len(rom) <= where:
        return False
    end = min(len(rom), where + 4)
    rom[where:end] = b"\xff\xff\x00\x00"[:end - where]
    size = len(rom)
    pow2 = 1 << (size.bit_length() - 1)
    total = sum(rom[:pow2])
    if size > pow2:
        total += sum(rom[pow2:]) * (pow2 // (size - pow2))
    checksum = total & 0xFFFF
    complement = checksum ^ 0xFFFF
    rom[where:end] = bytes((complement & 0xFF, complement >> 8,
                            checksum & 0xFF, checksum >> 8))[:end - where]
    return True


def title_is_garbage(rom: bytes) -> bool:
    """asar refuses to patch a ROM (of 32 KB or more) whose internal header looks like none
    under every one of LoROM, HiROM, ExLoROM and ExHiROM: it scores each header's 21-byte
    title (capitals, spaces, digits, lower case and `-` count for it; other characters, a
    NUL inside the name and a few high-bit bytes against), and a checksum that is not the
    complement's inverse rules a header out (main.cpp `setmapper`)."""
    if len(rom) < 0x8000:
        return False
    best = None
    for mapper in ("lorom", "hirom", "exlorom", "exhirom"):
        where = snes_to_pc(0x00FFC0, mapper)
        assert where is not None
        header = rom[where:where + 0x20].ljust(0x20, b"\x00")    # (past the end: zeros)
        if header[0x1E] ^ header[0x1C] != 0xFF or header[0x1F] ^ header[0x1D] != 0xFF:
            continue
        score = high = 0
        null = False
        for c in header[:21]:
            if null and c:
                score -= 4
            if c >= 0x80:
                high += 1
            elif 0x41 <= c <= 0x5A:
                score += 3
            elif c == 0x20:
                score += 2
            elif 0x30 <= c <= 0x39 or 0x61 <= c <= 0x7A or c == 0x2D:
                score += 1
            elif not c:
                null = True
            else:
                score -= 3
        if 0 < high <= 14:
            score -= 21
        best = score if best is None else max(best, score)
    return best is None or best < 0
