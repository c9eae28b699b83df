"""Nayru families about sprites and the OAM buffer (category `sprite_oam`): slot search and
spawn over ALTTP's 16-slot sprite tables, and writes to the OAM buffer at $7E0800 (low
table, 4 bytes per entry) and $7E0A00 (high table, 2 bits per entry)."""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.nayru_common import Memory, Outcome, State, ab, draft, h, lines

STATE, TYPE, HP = 0x7E0DD0, 0x7E0E20, 0x7E0E50
Y_LO, X_LO, Y_HI, X_HI = 0x7E0D00, 0x7E0D10, 0x7E0D20, 0x7E0D30
TIMER = 0x7E0DF0
LINK_Y, LINK_X = 0x7E0020, 0x7E0022
OAM, OAM_HIGH = 0x7E0800, 0x7E0A00
S = "sprite_oam"


def _table(base: int, values: list[int]) -> dict[int, int]:
    return {base + k: v for k, v in enumerate(values)}


def _states_layouts(rng: random.Random) -> list[list[int]]:
    busy = [9] * 16
    one_low = [9] * 16
    one_low[0] = 0
    one_high = [9] * 16
    one_high[15] = 0
    mixed = [rng.choice((0, 9, 6, 0x0A)) for _ in range(16)]
    mixed[rng.randrange(16)] = 0
    two = [9] * 16
    two[4] = two[11] = 0
    return [busy, one_low, one_high, mixed, two, [0] * 16]


def find_free_slot(rng: random.Random) -> Draft:
    downward = rng.random() < 0.6
    top = rng.choice((15, 11, 7))
    order = f"from slot {top} down to 0" if downward else f"from slot 0 up to {top}"
    requests = [
        f"Find a free sprite slot: look {order} for the first slot whose state ($0DD0,X) is "
        "0. Return its index in X with carry set, or carry clear if every slot searched is "
        "busy (X is then unspecified).",
        f"Search the sprite state table $7E0DD0 {order} for an empty slot (state 0). Found: "
        "X = the slot, carry set. None: carry clear.",
    ]
    if downward:
        reference = lines(f"LDX #{h(top)}", "Loop:", f"LDA {ab(STATE)},X", "BEQ Found", "DEX",
                          "BPL Loop", "CLC", "RTS", "Found:", "SEC", "RTS")
    else:
        reference = lines("LDX #$00", "Loop:", f"LDA {ab(STATE)},X", "BEQ Found", "INX",
                          f"CPX #{h(top + 1)}", "BCC Loop", "CLC", "RTS", "Found:", "SEC", "RTS")
    slots = range(top, -1, -1) if downward else range(top + 1)

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        for k in slots:
            if m[STATE + k] == 0:
                return Outcome(registers={"x": k}, flags={"c": 1})
        return Outcome(flags={"c": 0})

    layouts = _states_layouts(rng)
    states = [State(_table(STATE, lay)) for lay in layouts]
    # Slots just outside the searched range are free: they must not be taken.
    outside = [9] * 17
    outside[top + 1] = 0
    states.append(State({**_table(STATE, outside[:16]), STATE + 16: outside[16],
                         STATE - 1: 0}))
    edge = [9] * 16
    edge[top] = 0
    states.append(State(_table(STATE, edge)))

    # X is checked where a slot is found; live-out leaves it out (unspecified otherwise).
    return draft(rng, category=S, family="find_free_slot", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model, flags=["c"],
                 description="sprite slot search")


def spawn_sprite(rng: random.Random) -> Draft:
    kind = rng.randrange(1, 0xD8)
    hp = rng.randrange(1, 0x20)
    offset = rng.randrange(0, 0x20) if rng.random() < 0.5 else 0
    timer = rng.randrange(0x10, 0x80) if rng.random() < 0.5 else None
    where = (f"Link's position (X and Y) plus {offset} pixels on Y" if offset
             else "Link's exact position")
    extra = f", main timer ($0DF0,X) {h(timer)}" if timer else ""
    requests = [
        f"Spawn sprite type {h(kind)} next to Link. Take the highest free slot (state 0 at "
        f"$0DD0,X, slots 15 down to 0). Give it state 9 (active), type at $0E20,X, hit "
        f"points {hp} at $0E50,X{extra}, and place it at {where}: coordinates are split into "
        "low bytes ($0D10,X for X, $0D00,X for Y) and high bytes ($0D30,X, $0D20,X). Link's "
        "are 16-bit words at $7E0022 (X) and $7E0020 (Y). Return carry set and X = the slot; "
        "with no free slot return carry clear and change nothing.",
        f"Write a spawner for enemy {h(kind)}: search the sprite slots from 15 down for state "
        f"0; if none is free, carry clear. Otherwise: state 9, type {h(kind)} ($0E20,X), HP "
        f"{hp} ($0E50,X){extra}, position = {where} (sprite X low/high at $0D10,X/$0D30,X, Y "
        "low/high at $0D00,X/$0D20,X; Link's 16-bit X at $7E0022, Y at $7E0020), carry set, "
        "X = slot.",
    ]
    y_calc = (["LDA.l $7E0020", "CLC", f"ADC #{h(offset)}", f"STA {ab(Y_LO)},X",
               "LDA.l $7E0021", "ADC #$00", f"STA {ab(Y_HI)},X"] if offset else
              ["LDA.l $7E0020", f"STA {ab(Y_LO)},X", "LDA.l $7E0021", f"STA {ab(Y_HI)},X"])
    reference = lines(
        "LDX #$0F", "Search:", f"LDA {ab(STATE)},X", "BEQ Found", "DEX", "BPL Search", "CLC",
        "RTS", "Found:", "LDA #$09", f"STA {ab(STATE)},X", f"LDA #{h(kind)}",
        f"STA {ab(TYPE)},X", f"LDA #{h(hp)}", f"STA {ab(HP)},X",
        [f"LDA #{h(timer)}", f"STA {ab(TIMER)},X"] if timer else [],
        "LDA.l $7E0022", f"STA {ab(X_LO)},X", "LDA.l $7E0023", f"STA {ab(X_HI)},X", y_calc,
        "SEC", "RTS")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        for k in range(15, -1, -1):
            if m[STATE + k] == 0:
                m[STATE + k] = 9
                m[TYPE + k] = kind
                m[HP + k] = hp
                if timer:
                    m[TIMER + k] = timer
                m[X_LO + k], m[X_HI + k] = m[LINK_X], m[LINK_X + 1]
                y = m.word(LINK_Y) + offset
                m[Y_LO + k], m[Y_HI + k] = y & 0xFF, (y >> 8) & 0xFF
                return Outcome(registers={"x": k}, flags={"c": 1})
        return Outcome(flags={"c": 0})

    states = []
    tables = (TYPE, HP, X_LO, X_HI, Y_LO, Y_HI, *((TIMER,) if timer else ()))
    for index, layout in enumerate(_states_layouts(rng)):
        memory = {**_table(STATE, layout), STATE + 16: 0, STATE - 1: 0}
        for base in tables:
            memory.update(_table(base, [rng.randrange(0x100) for _ in range(16)]))
        # odd cases: Y's low byte carries into the high byte when the offset is added
        y = (0x0200 - max(offset // 2, 1)) if index % 2 else rng.randrange(0x0100, 0x0400)
        memory.update({LINK_X: rng.randrange(0x100), LINK_X + 1: rng.randrange(1, 4),
                       LINK_Y: y & 0xFF, LINK_Y + 1: y >> 8})
        states.append(State(memory))
    return draft(rng, category=S, family="spawn_sprite", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, flags=["c"],
                 description="slot search, then every table of the new sprite written")


def count_sprites(rng: random.Random) -> Draft:
    kind = rng.randrange(1, 0xD8) if rng.random() < 0.5 else None
    out = 0x7E1E00 | rng.randrange(0x00, 0xF0)
    which = f"of type {h(kind)} ($0E20,X) that are alive" if kind is not None else "alive"
    typed = "" if kind is None else f" of type {h(kind)}"
    typed_test = "" if kind is None else f" and $7E0E20,X = {h(kind)}"
    requests = [
        f"Count the sprites {which} (state at $0DD0,X nonzero) over all 16 slots and store "
        f"the count at ${out:06X}.",
        f"How many of the 16 sprite slots hold a live sprite{typed}"
        f" (nonzero $7E0DD0,X{typed_test})? Write "
        f"the number to ${out:06X}.",
    ]
    test = ([f"LDA {ab(TYPE)},X", f"CMP #{h(kind)}", "BNE Next"] if kind is not None else [])
    reference = lines("LDY #$00", "LDX #$0F", "Loop:", f"LDA {ab(STATE)},X", "BEQ Next", test,
                      "INY", "Next:", "DEX", "BPL Loop", "TYA", f"STA.l ${out:06X}")

    def model(m: Memory, _: dict[str, int]) -> None:
        m[out] = sum(1 for k in range(16) if m[STATE + k] and
                     (kind is None or m[TYPE + k] == kind))

    states = []
    for layout in _states_layouts(rng):
        types = [kind if kind is not None and rng.random() < 0.5 else rng.randrange(0x100)
                 for _ in range(16)]
        states.append(State({**_table(STATE, layout), **_table(TYPE, types)}))
    return draft(rng, category=S, family="count_sprites", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[out - 1, out, out + 1], description="a counting loop over the slots")


def clear_type(rng: random.Random) -> Draft:
    kind = rng.randrange(1, 0xD8)
    dying = rng.random() < 0.5
    new = 6 if dying else 0
    requests = [
        f"Remove every sprite of type {h(kind)} ($0E20,X) from the 16 sprite slots by setting "
        f"its state ($0DD0,X) to {new}{' (dying)' if dying else ''}; leave other sprites "
        "alone.",
        f"For each of the 16 sprite slots whose type ($7E0E20,X) is {h(kind)}, write {new} to "
        "its state ($7E0DD0,X). Other slots stay as they are.",
    ]
    store = ["LDA #$06", f"STA {ab(STATE)},X"] if dying else [f"STZ {ab(STATE)},X"]
    reference = lines("LDX #$0F", "Loop:", f"LDA {ab(TYPE)},X", f"CMP #{h(kind)}", "BNE Next",
                      store, "Next:", "DEX", "BPL Loop")

    def model(m: Memory, _: dict[str, int]) -> None:
        for k in range(16):
            if m[TYPE + k] == kind:
                m[STATE + k] = new

    states = []
    for index in range(5):
        types = [kind if rng.random() < 0.4 else rng.randrange(0x100) for _ in range(16)]
        types[0 if index % 2 else 15] = kind
        states.append(State({**_table(TYPE, types), TYPE + 16: kind, TYPE - 1: kind,
                             **_table(STATE, [rng.choice((9, 8, 0x0A)) for _ in range(16)])}))
    return draft(rng, category=S, family="clear_type", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[STATE - 1, STATE + 16], description="a masked table update")


def oam_entry(rng: random.Random) -> Draft:
    entry = rng.randrange(0, 128)
    x, y, tile, attr = (rng.randrange(0x100) for _ in range(4))
    large = rng.random() < 0.5
    base = OAM + 4 * entry
    high = OAM_HIGH + entry // 4
    shift = 2 * (entry % 4)
    requests = [
        f"Set up OAM entry {entry} in the OAM buffer at $7E0800 (4 bytes per entry: X, Y, "
        f"tile, attributes): X = {h(x)}, Y = {h(y)}, tile {h(tile)}, attributes {h(attr)}. "
        f"Also update its two bits in the high table at $7E0A00 (entry n uses bits 2*(n%4) "
        f"and 2*(n%4)+1 of byte n/4: X bit 8 = 0, size = {'large' if large else 'small'}); "
        "other entries' bits must not change.",
        f"Write sprite entry {entry} to the OAM mirror ($7E0800 + 4*entry: X {h(x)}, Y {h(y)}, "
        f"tile {h(tile)}, attributes {h(attr)}) and set its high-table bits (byte $7E0A00 + "
        f"entry/4, bit pair 2*(entry mod 4): low bit X-high = 0, high bit size = "
        f"{1 if large else 0}) without touching the neighbours' bits.",
    ]
    keep = 0xFF & ~(3 << shift)
    size = (2 << shift) if large else 0
    reference = lines(
        f"LDA #{h(x)}", f"STA {ab(base)}", f"LDA #{h(y)}", f"STA {ab(base + 1)}",
        f"LDA #{h(tile)}", f"STA {ab(base + 2)}", f"LDA #{h(attr)}", f"STA {ab(base + 3)}",
        f"LDA {ab(high)}", f"AND #{h(keep)}", [f"ORA #{h(size)}"] if large else [],
        f"STA {ab(high)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        m[base], m[base + 1], m[base + 2], m[base + 3] = x, y, tile, attr
        m[high] = (m[high] & keep) | size

    states = [State({high: v}) for v in (0xFF, 0x00, 0x55, 0xAA, rng.randrange(0x100))]
    return draft(rng, category=S, family="oam_entry", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[base - 1, base, base + 1, base + 2, base + 3, base + 4, high - 1,
                        high + 1], description="OAM low and high table writes")


def oam_hide_range(rng: random.Random) -> Draft:
    first = rng.randrange(0, 48)
    count = rng.randrange(2, 64 - first)
    requests = [
        f"Hide OAM buffer entries {first} to {first + count - 1} by setting each one's Y byte "
        "(the second of its 4 bytes at $7E0800 + 4*entry) to $F0. Nothing else changes.",
        f"Move {count} sprites off screen: entries {first}-{first + count - 1} of the OAM "
        "buffer at $7E0800 get Y = $F0; leave X, tile and attributes alone.",
    ]
    last = first + count - 1
    if rng.random() < 0.5:
        reference = lines(f"LDX #{h(4 * last)}", "LDA #$F0", "Loop:", f"STA {ab(OAM + 1)},X",
                          "DEX", "DEX", "DEX", "DEX", f"CPX #{h((4 * first - 4) & 0xFF)}",
                          "BNE Loop")
    else:
        reference = lines(f"LDY #{h(count)}", f"LDX #{h(4 * first)}", "Loop:", "LDA #$F0",
                          f"STA {ab(OAM + 1)},X", "INX", "INX", "INX", "INX", "DEY", "BNE Loop")

    def model(m: Memory, _: dict[str, int]) -> None:
        for k in range(first, first + count):
            m[OAM + 4 * k + 1] = 0xF0

    region = range(OAM + 4 * first - 4, OAM + 4 * (first + count) + 4)
    states = [State({a: rng.randrange(0x100) for a in region}) for _ in range(3)]
    states.append(State({a: 0xF0 if a % 4 != 1 else 0x10 for a in region}))
    return draft(rng, category=S, family="oam_hide_range", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 description="a strided loop over the OAM buffer")


def metasprite(rng: random.Random) -> Draft:
    pieces = rng.randrange(2, 5)
    entry = rng.randrange(0, 120)
    offsets = [(rng.choice((0, 8, 16, -8)) & 0xFF, rng.choice((0, 8, -8, 16)) & 0xFF)
               for _ in range(pieces)]
    tiles = [rng.randrange(0x100) for _ in range(pieces)]
    attr = rng.randrange(0x100)
    table = "; ".join(f"({ 'X+' if o[0] < 0x80 else 'X-'}{o[0] if o[0] < 0x80 else 0x100 - o[0]}"
                      f", Y{'+' if o[1] < 0x80 else '-'}{o[1] if o[1] < 0x80 else 0x100 - o[1]}"
                      f", tile {h(t)})" for o, t in zip(offsets, tiles, strict=True))
    requests = [
        f"Draw a {pieces}-piece metasprite into the OAM buffer starting at entry {entry} "
        f"($7E0800 + 4*entry; bytes X, Y, tile, attributes). The anchor is X = byte $7E0000, Y "
        f"= byte $7E0001 (8-bit screen coordinates, wrap around). Pieces in order: {table}; "
        f"every piece uses attributes {h(attr)}.",
        f"Write OAM entries {entry}-{entry + pieces - 1} of the buffer at $7E0800 for a "
        f"metasprite anchored at ($00, $01) in direct page: pieces {table}, attributes "
        f"{h(attr)}. Coordinates are 8-bit and wrap.",
    ]
    base = OAM + 4 * entry
    reference = lines(
        f"LDX #{h(pieces - 1)}", f"LDY #{h(4 * (pieces - 1))}", "Loop:", "LDA.l OffsetX,X",
        "CLC", "ADC $00", f"STA {ab(base)},Y", "LDA.l OffsetY,X", "CLC", "ADC $01",
        f"STA {ab(base + 1)},Y", "LDA.l Tiles,X", f"STA {ab(base + 2)},Y", f"LDA #{h(attr)}",
        f"STA {ab(base + 3)},Y", "DEY", "DEY", "DEY", "DEY", "DEX", "BPL Loop", "RTS",
        f"OffsetX: db {', '.join(h(o[0]) for o in offsets)}",
        f"OffsetY: db {', '.join(h(o[1]) for o in offsets)}",
        f"Tiles: db {', '.join(h(t) for t in tiles)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        for k in range(pieces):
            a = base + 4 * k
            m[a] = (m[0x7E0000] + offsets[k][0]) & 0xFF
            m[a + 1] = (m[0x7E0001] + offsets[k][1]) & 0xFF
            m[a + 2], m[a + 3] = tiles[k], attr

    states = [State({0x7E0000: x, 0x7E0001: y}) for x, y in (
        (0x80, 0x70), (0xFC, 0x04), (0x00, 0xF8), (rng.randrange(256), rng.randrange(256)))]
    return draft(rng, category=S, family="metasprite", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=range(base - 1, base + 4 * pieces + 1),
                 description="a table-driven multi-entry OAM write")


SPRITE_FAMILIES = (find_free_slot, spawn_sprite, count_sprites, clear_type, oam_entry,
                   oam_hide_range, metasprite)


def sprite_move(rng: random.Random) -> Draft:
    axes = rng.choice((("X",), ("Y",), ("X", "Y")))
    frozen_guard = rng.random() < 0.5
    tables = {"X": (0x7E0D50, X_LO, X_HI), "Y": (0x7E0D40, Y_LO, Y_HI)}
    named = "; ".join(f"{a} velocity ${ab(tables[a][0])[1:]},X (signed) added to its 16-bit {a} "
                      f"position (low byte ${ab(tables[a][1])[1:]},X, high byte "
                      f"${ab(tables[a][2])[1:]},X)" for a in axes)
    guard = (" A frozen sprite (state $0DD0,X = $0B) does not move." if frozen_guard else "")
    requests = [
        f"X holds a sprite slot. Move that sprite by its velocity: {named}. Keep X.{guard}",
        f"Apply one frame of movement to the sprite in slot X: {named}. X must be preserved."
        f"{guard}",
    ]
    body = [f"LDA {ab(STATE)},X", "CMP #$0B", "BEQ Done"] if frozen_guard else []
    for axis in axes:
        vel, lo, hi = tables[axis]
        body += ["LDY #$00", f"LDA {ab(vel)},X", f"BPL Pos{axis}", "DEY", f"Pos{axis}:", "CLC",
                 f"ADC {ab(lo)},X", f"STA {ab(lo)},X", "TYA", f"ADC {ab(hi)},X",
                 f"STA {ab(hi)},X"]
    reference = lines(body, "Done:" if frozen_guard else [])

    def model(m: Memory, regs: dict[str, int]) -> Outcome:
        slot = regs["x"]
        if frozen_guard and m[STATE + slot] == 0x0B:
            return Outcome(registers={"x": slot})
        for axis in axes:
            vel, lo, hi = tables[axis]
            v = m[vel + slot] - ((m[vel + slot] & 0x80) << 1)
            pos = (m[lo + slot] | m[hi + slot] << 8) + v
            m[lo + slot], m[hi + slot] = pos & 0xFF, (pos >> 8) & 0xFF
        return Outcome(registers={"x": slot})

    states = []
    for slot, vel, pos, state in ((0, 0x05, 0x00FE, 9), (15, 0xFB, 0x0100, 9),
                                  (7, 0x80, 0x0050, 9), (3, 0x7F, 0x01F0, 0x0B),
                                  (9, 0xFF, 0x0000, 9), (12, 0x01, 0xFFFF, 0x0A)):
        memory = {STATE + slot: state}
        for axis in axes:
            v_at, lo, hi = tables[axis]
            memory.update({v_at + slot: vel, lo + slot: pos & 0xFF, hi + slot: pos >> 8})
        states.append(State(memory, {"x": slot}))
    return draft(rng, category=S, family="sprite_move", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, registers=["x"],
                 description="signed 8-bit velocity into a split 16-bit position")


SPRITE_FAMILIES = (*SPRITE_FAMILIES, sprite_move)
