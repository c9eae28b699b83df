"""Hand-written vocabulary and relations of the ALTTP graph: how people say things ("hearts",
"money", "fade"), which entities a concept points at, which entities must be shown together,
and the roles that are easy to confuse (maximum vs current health).

Everything here names entities by their map name; `alttp_adapter` checks every name exists.
"""

from __future__ import annotations

# Query word -> extra search words (added to the BM25 query with a lower weight).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "heart": ("health",), "life": ("health",), "hp": ("health", "hit", "point"),
    "hearts": ("health",), "lives": ("health",), "hitpoint": ("hit", "point"),
    "money": ("rupee",), "cash": ("rupee",), "wallet": ("rupee",), "gold": ("rupee",),
    "mana": ("magic",), "mp": ("magic",),
    "enemy": ("sprite",), "enemies": ("sprite",), "monster": ("sprite",), "npc": ("sprite",),
    "teleport": ("coordinate", "position"), "position": ("coordinate",),
    "location": ("coordinate",), "coords": ("coordinate",),
    "brightness": ("inidisp",), "fade": ("brightness", "inidisp"), "blank": ("inidisp",),
    "vblank": ("blank", "hvbjoy", "nmi"), "controller": ("joypad",), "button": ("joypad",),
    "gamepad": ("joypad",), "pad": ("joypad",), "song": ("music",), "track": ("music",),
    "sound": ("sfx", "apu"), "sfx": ("sound",), "palette": ("cgram", "color"),
    "colour": ("color",), "tunic": ("armor", "mail"), "mail": ("armor",), "armour": ("armor",),
    "level": ("screen",), "room": ("dungeon",), "layer": ("floor",),
    "tile": ("vram", "tilemap"), "tiles": ("vram", "tilemap"), "die": ("death",),
    "dies": ("death", "drop"), "died": ("death",), "kill": ("state", "dead"),
    "invincible": ("invincible", "damage"), "hurt": ("damage",), "hit": ("damage",),
    "speed": ("velocity",), "horizontally": ("x",), "vertically": ("y",),
    "file": ("save",), "mode7": ("mode", "7"), "spc700": ("apu",), "spc": ("apu",),
    "dash": ("boots", "dashing"), "swim": ("flippers", "swim"), "pearl": ("moon",),
}

# Concept words (all must appear in the query, compared after stemming) -> (entity name,
# weight). A weight of 1.0 adds about as much as a strong lexical match. The tests check that
# every name used in this module exists in the map.
CONCEPTS: list[tuple[tuple[str, ...], tuple[tuple[str, float], ...]]] = [
    (("heart",), (("link_health_current", 1.2), ("link_health_max", 1.0),
                  ("health_refill_pending", 0.6))),
    (("health",), (("link_health_current", 1.2), ("link_health_max", 1.0))),
    (("life",), (("link_health_current", 1.2), ("link_health_max", 0.8))),
    (("refill", "heart"), (("health_refill_pending", 1.6),)),
    (("refill", "health"), (("health_refill_pending", 1.6),)),
    (("heal",), (("health_refill_pending", 1.2), ("link_health_current", 1.0))),
    (("heart", "container"), (("link_health_max", 1.8),)),
    (("max", "health"), (("link_health_max", 1.8),)),
    (("maximum", "health"), (("link_health_max", 1.8),)),
    (("damage", "link"), (("link_pending_damage", 1.4),)),
    (("hurt", "link"), (("link_pending_damage", 1.0), ("link_invincible", 0.5))),
    (("heart", "piece"), (("heart_pieces", 1.8),)),
    (("rupee",), (("rupees_target", 1.8), ("rupees_displayed", 0.9))),
    (("money",), (("rupees_target", 1.8), ("rupees_displayed", 0.9))),
    (("cash",), (("rupees_target", 1.8), ("rupees_displayed", 0.9))),
    (("wallet",), (("rupees_target", 1.8), ("rupees_displayed", 0.9))),
    (("hud", "rupee"), (("rupees_displayed", 1.2),)),
    (("hud", "money"), (("rupees_displayed", 1.2),)),
    (("magic",), (("magic_power", 1.2), ("magic_refill_pending", 0.5))),
    (("mana",), (("magic_power", 1.2), ("magic_refill_pending", 0.5))),
    (("refill", "magic"), (("magic_refill_pending", 1.6),)),
    (("magic", "consumption"), (("magic_consumption", 1.6),)),
    (("invincible",), (("link_invincible", 1.6), ("link_blink_timer", 0.4))),
    (("invulnerable",), (("link_invincible", 1.6), ("link_blink_timer", 0.6))),
    (("bunny",), (("link_is_bunny", 1.4), ("link_bunny_graphics", 0.8),
                  ("temp_bunny_timer", 0.5))),
    (("dark", "world"), (("in_dark_world", 1.4), ("world_cache", 0.9), ("saved_world", 0.6))),
    (("light", "world"), (("in_dark_world", 1.4), ("world_cache", 0.9))),
    (("music",), (("music_queue", 1.4), ("music_request", 0.8))),
    (("song",), (("music_queue", 1.4), ("music_request", 0.8))),
    (("sound", "effect"), (("sfx1_queue", 1.4), ("sfx2_queue", 1.0),
                           ("sfx_ambient_queue", 0.6))),
    (("sfx",), (("sfx1_queue", 1.4), ("sfx2_queue", 1.0))),
    (("brightness",), (("inidisp_shadow", 1.4), ("INIDISP", 1.4))),
    (("fade",), (("inidisp_shadow", 1.4), ("INIDISP", 1.4))),
    (("force", "blank"), (("INIDISP", 1.6), ("inidisp_shadow", 1.0))),
    (("vblank",), (("HVBJOY", 1.6), ("RDNMI", 1.0), ("nmi_wait_flag", 0.6))),
    (("nmi",), (("NMITIMEN", 1.0), ("RDNMI", 1.0), ("nmi_wait_flag", 0.6))),
    (("joypad", "read"), (("NMITIMEN", 0.6), ("HVBJOY", 0.5))),
    (("press",), (("joypad1_pressed_high", 1.2), ("joypad1_pressed_low", 1.0))),
    (("held",), (("joypad1_held_high", 1.2), ("joypad1_held_low", 1.0))),
    (("a", "button"), (("joypad1_held_low", 1.0), ("button_a_flags", 0.8))),
    (("b", "button"), (("joypad1_held_high", 1.0), ("button_b_y_flags", 0.8))),
    (("dma",), (("MDMAEN", 1.4), ("DMAP0", 0.9))),
    (("hdma",), (("HDMAEN", 1.4), ("hdmaen_shadow", 1.2))),
    (("vram", "address"), (("VMADDL", 1.6), ("VMADDH", 1.0))),
    (("vram", "write"), (("VMDATAL", 1.2), ("VMADDL", 1.0))),
    (("palette",), (("CGDATA", 1.2), ("CGADD", 1.0), ("palette_buffer_main", 1.0))),
    (("cgram",), (("CGDATA", 1.2), ("CGADD", 1.0))),
    (("multiply",), (("WRMPYA", 1.4), ("WRMPYB", 1.4), ("RDMPYL", 0.9))),
    (("multiplier",), (("WRMPYA", 1.4), ("WRMPYB", 1.4), ("RDMPYL", 0.9))),
    (("divide",), (("WRDIVL", 1.4), ("WRDIVB", 1.4), ("RDDIVL", 0.9))),
    (("division",), (("WRDIVL", 1.4), ("WRDIVB", 1.4), ("RDDIVL", 0.9))),
    (("sword",), (("sword_level", 1.4),)),
    (("shield",), (("shield_level", 1.4),)),
    (("armor",), (("armor_level", 1.4),)),
    (("tunic",), (("armor_level", 1.4),)),
    (("bottle",), (("bottle_1_contents", 1.2), ("bottle_selected", 0.6))),
    (("boot",), (("item_boots", 1.4), ("ability_flags", 0.9))),
    (("dash",), (("item_boots", 1.0), ("ability_flags", 0.9), ("link_is_dashing", 0.8))),
    (("swim",), (("item_flippers", 1.0), ("ability_flags", 0.7), ("link_in_deep_water", 0.7))),
    (("flipper",), (("item_flippers", 1.4), ("ability_flags", 0.7))),
    (("pendant",), (("pendants", 1.4),)),
    (("crystal",), (("crystals", 1.4),)),
    (("small", "key"), (("keys_current_dungeon", 1.4), ("keys_per_dungeon", 0.8))),
    (("big", "key"), (("big_key_flags", 1.6),)),
    (("compass",), (("compass_flags", 1.4),)),
    (("dungeon", "map"), (("dungeon_map_flags", 1.4),)),
    (("bomb",), (("bombs_count", 1.4), ("bomb_capacity_upgrades", 0.6),
                 ("bomb_refill_pending", 0.6))),
    (("arrow",), (("arrows_count", 1.2), ("arrow_capacity_upgrades", 0.5))),
    (("bow",), (("item_bow", 1.4),)),
    (("enemy",), (("sprite_type", 0.8), ("sprite_state", 0.8), ("sprite_hp", 0.6))),
    (("kill",), (("sprite_state", 1.2),)),
    (("follow",), (("follower_id", 1.4),)),
    (("player", "name"), (("player_name", 1.6),)),
    (("file", "name"), (("player_name", 1.6),)),
    (("die",), (("deaths_per_dungeon", 1.0), ("death_reload_flag", 0.6))),
    (("death",), (("deaths_per_dungeon", 1.2), ("death_reload_flag", 0.6))),
    (("checksum",), (("save_inverse_checksum", 1.8),)),
    (("progress",), (("game_progress", 1.2), ("progress_flags", 0.8))),
    (("story",), (("game_progress", 1.2), ("progress_flags", 0.8))),
    (("mode", "7"), (("M7A", 1.0), ("M7SEL", 0.8), ("m7x_shadow", 0.5))),
    (("y", "item"), (("equipped_y_item", 1.4),)),
    (("equip",), (("equipped_y_item", 1.4),)),
    (("equipped",), (("equipped_y_item", 1.4),)),
    (("wall", "cheat"), (("cheat_walk_through_walls", 1.6),)),
    (("game", "mode"), (("main_module_index", 1.4),)),
    (("module",), (("main_module_index", 1.4), ("submodule_index", 0.8))),
    (("overworld", "screen"), (("overworld_screen_id", 1.4),)),
    (("room", "number"), (("dungeon_room_id", 1.4),)),
    (("room", "id"), (("dungeon_room_id", 1.4),)),
    (("link", "x"), (("link_x_coord", 0.8),)),
    (("link", "y"), (("link_y_coord", 0.8),)),
    (("scroll", "bg1"), (("BG1HOFS", 0.8), ("BG1VOFS", 0.6), ("bg1_hscroll", 0.6))),
    (("apu",), (("APUIO0", 1.0),)),
    (("wram", "port"), (("WMDATA", 1.2), ("WMADDL", 0.8))),
    (("wram", "data"), (("WMDATA", 1.2), ("WMADDL", 0.8))),
    (("save", "file"), (("sram_file1", 1.0),)),
    (("sram",), (("sram_file1", 0.9), ("sram_slot_offset", 0.5))),
]

# Moving something means writing its coordinate; its velocity/delta only says how it moved
# last frame. A movement verb with a direction (or a subject) calls up the coordinates.
_MOVE_VERBS = ("move", "slide", "nudge", "warp", "teleport", "shift", "place", "position",
               "coordinate", "pixel", "push", "relocate")
_HORIZONTAL = ("left", "right", "horizontal", "horizontally", "x")
_VERTICAL = ("up", "down", "vertical", "vertically", "y", "raise", "lower")
for _verb in _MOVE_VERBS:
    CONCEPTS += [
        ((_verb, "link"), (("link_x_coord", 1.4), ("link_y_coord", 1.4))),
        ((_verb, "sprite"), (("sprite_x_lo", 1.2), ("sprite_y_lo", 1.2), ("sprite_x_hi", 1.0),
                             ("sprite_y_hi", 1.0))),
    ]
    for _word in _HORIZONTAL:
        CONCEPTS += [((_verb, "link", _word), (("link_x_coord", 1.6),)),
                     ((_verb, "sprite", _word), (("sprite_x_lo", 1.6), ("sprite_x_hi", 1.4)))]
    for _word in _VERTICAL:
        CONCEPTS += [((_verb, "link", _word), (("link_y_coord", 1.6),)),
                     ((_verb, "sprite", _word), (("sprite_y_lo", 1.6), ("sprite_y_hi", 1.4)))]
# Asking for the velocity itself: then the velocity comes first, not the coordinate.
for _word in ("velocity", "speed", "delta"):
    CONCEPTS += [((_word, "sprite"), (("sprite_x_vel", 1.8), ("sprite_y_vel", 1.8))),
                 ((_word, "link"), (("link_delta_x", 1.4), ("link_delta_y", 1.4)))]
    for _axis, _names in ((_HORIZONTAL, ("sprite_x_vel", "link_delta_x")),
                          (_VERTICAL, ("sprite_y_vel", "link_delta_y"))):
        for _dir in _axis:
            CONCEPTS += [((_word, "sprite", _dir), ((_names[0], 2.4),)),
                         ((_word, "link", _dir), ((_names[1], 2.0),))]
# Buttons: which joypad byte holds them (B Y Select Start Up Down Left Right in the high byte,
# A X L R in the low byte), held or newly pressed.
for _button, _byte in (("a", "low"), ("x", "low"), ("l", "low"), ("r", "low"),
                       ("shoulder", "low"), ("b", "high"), ("y", "high"),
                       ("select", "high"), ("start", "high"), ("dpad", "high")):
    CONCEPTS += [((_button, "button"), ((f"joypad1_held_{_byte}", 1.0),)),
                 ((_button, "press"), ((f"joypad1_pressed_{_byte}", 1.4),)),
                 ((_button, "held"), ((f"joypad1_held_{_byte}", 1.4),)),
                 ((_button, "hold"), ((f"joypad1_held_{_byte}", 1.4),))]
CONCEPTS += [
    (("hold",), (("joypad1_held_high", 1.2), ("joypad1_held_low", 1.0))),
    (("newly",), (("joypad1_pressed_high", 1.2), ("joypad1_pressed_low", 1.0))),
]

# Curated relations (source name, edge type, target name). Derived relations (byte pairs,
# register shadows, SRAM copies, look-alike addresses) are added by the adapter from the data.
RELATIONS: list[tuple[str, str, str]] = [
    ("link_health_max", "max_of", "link_health_current"),
    ("health_refill_pending", "refills", "link_health_current"),
    ("link_pending_damage", "damages", "link_health_current"),
    ("heart_pieces", "feeds_into", "link_health_max"),
    ("magic_refill_pending", "refills", "magic_power"),
    ("magic_consumption", "modifies", "magic_power"),
    ("cape_drain_timer", "modifies", "magic_power"),
    ("rupees_displayed", "display_of", "rupees_target"),
    ("wishing_pond_rupees", "related", "rupees_target"),
    ("bomb_refill_pending", "refills", "bombs_count"),
    ("bomb_capacity_upgrades", "capacity_of", "bombs_count"),
    ("arrow_refill_pending", "refills", "arrows_count"),
    ("arrow_capacity_upgrades", "capacity_of", "arrows_count"),
    ("item_bow", "related", "arrows_count"),
    ("link_x_coord_cache", "mirror_of", "link_x_coord"),
    ("link_y_coord_cache", "mirror_of", "link_y_coord"),
    ("link_bunny_graphics", "kept_in_step_with", "link_is_bunny"),
    ("temp_bunny_timer", "related", "link_is_bunny"),
    ("world_cache", "related", "in_dark_world"),
    ("saved_world", "related", "in_dark_world"),
    ("overworld_screen_id", "related", "in_dark_world"),
    ("item_boots", "requires", "ability_flags"),
    ("link_is_dashing", "related", "item_boots"),
    ("item_flippers", "related", "ability_flags"),
    ("keys_current_dungeon", "related", "keys_per_dungeon"),
    ("big_key_flags", "same_layout_as", "compass_flags"),
    ("dungeon_map_flags", "same_layout_as", "compass_flags"),
    ("bottle_2_contents", "same_layout_as", "bottle_1_contents"),
    ("bottle_3_contents", "same_layout_as", "bottle_1_contents"),
    ("bottle_4_contents", "same_layout_as", "bottle_1_contents"),
    ("bottle_selected", "related", "bottle_1_contents"),
    ("music_request", "feeds_into", "music_queue"),
    ("main_module_index", "related", "submodule_index"),
    ("submodule_index", "related", "subsubmodule_index"),
    ("saved_module", "related", "main_module_index"),
    ("dungeon_prev_room_id", "related", "dungeon_room_id"),
    ("joypad1_pressed_high", "related", "joypad1_held_high"),
    ("joypad1_pressed_low", "related", "joypad1_held_low"),
    # The NMI handler reads the auto-joypad registers into these RAM copies every frame.
    ("joypad1_held_high", "read_from_register", "JOY1H"),
    ("joypad1_held_low", "read_from_register", "JOY1L"),
    ("joypad1_pressed_high", "read_from_register", "JOY1H"),
    ("joypad1_pressed_low", "read_from_register", "JOY1L"),
    ("link_blink_timer", "related", "link_invincible"),
    ("sram_file1_backup", "backup_of", "sram_file1"),
    ("sram_file2_backup", "backup_of", "sram_file2"),
    ("sram_file3_backup", "backup_of", "sram_file3"),
]

# Entities whose role is the classic mistake: label shown in context, the words that claim
# this role, and the words that claim the counterpart's (used by role-confusion checks).
ROLES: dict[str, tuple[str, frozenset[str], frozenset[str]]] = {
    "link_health_max": ("MAXIMUM health (heart containers), not current health",
                        frozenset({"max", "maximum", "container", "capacity"}),
                        frozenset({"current", "remaining"})),
    "link_health_current": ("CURRENT health (what damage lowers), not the maximum",
                            frozenset({"current", "remaining"}),
                            frozenset({"max", "maximum", "container", "capacity"})),
    "rupees_target": ("the REAL rupee count (write here to change rupees)",
                      frozenset({"real", "actual", "target"}),
                      frozenset({"displayed", "display", "hud", "shown"})),
    "rupees_displayed": ("the DISPLAYED rupee counter only (follows $7EF360)",
                         frozenset({"displayed", "display", "hud", "shown"}),
                         frozenset({"real", "actual", "target"})),
    "health_refill_pending": ("pending health REFILL, added to current health gradually",
                              frozenset({"refill", "pending"}), frozenset()),
    "link_pending_damage": ("pending DAMAGE, subtracted from current health",
                            frozenset({"damage", "pending"}), frozenset()),
    "magic_power": ("CURRENT magic (0-0x80)", frozenset({"current"}), frozenset()),
}

# Documented value ranges (from the rows' descriptions) checked on immediate stores.
VALUE_LIMITS: dict[str, int] = {
    "link_health_max": 0xA0,
    "magic_power": 0x80,
    "magic_refill_pending": 0x80,
    "heart_pieces": 3,
    "link_facing_direction": 6,
    "sword_level": 4,
    "shield_level": 3,
    "armor_level": 2,
    "item_bow": 4,
    "item_boomerang": 2,
    "item_gloves": 2,
    "game_progress": 3,
}

# How an edge reads from its source and from its target.
# Writes that are a role misuse because of what the code means to do: a "give 999 rupees"
# store into the HUD counter (it only counts toward the real one), a heal or damage into the
# maximum. Entity -> (words that say the intent, the entity the intent belongs in).
MISUSED_FOR: dict[str, tuple[frozenset[str], str]] = {
    "rupees_displayed": (frozenset({"give", "add", "set", "award", "grant", "gain", "pay",
                                    "spend", "take", "subtract", "refund", "reward", "cost",
                                    "steal"}), "rupees_target"),
    "link_health_max": (frozenset({"heal", "refill", "restore", "damage", "hurt", "lose",
                                   "kill", "full", "recover", "hit"}), "link_health_current"),
}

EDGE_PHRASES: dict[str, tuple[str, str]] = {
    "max_of": ("is the maximum of", "has its maximum in"),
    "refills": ("refills", "is refilled gradually through"),
    "damages": ("is subtracted from", "takes pending damage from"),
    "feeds_into": ("feeds", "is fed by"),
    "modifies": ("changes how fast it drains:", "drain/cost is set by"),
    "display_of": ("is the on-screen display of", "is shown on the HUD by"),
    "capacity_of": ("sets the capacity of", "has its capacity set by"),
    "high_byte_of": ("is the high byte of", "has its high byte in"),
    "shadows": ("is the WRAM shadow of register", "is written at NMI from the shadow"),
    "writes_register": ("is written to register", "is written from"),
    "mirror_of": ("is a per-frame copy of", "is copied each frame to"),
    "kept_in_step_with": ("is kept in step with", "is kept in step with"),
    "requires": ("also needs", "is needed by"),
    "same_layout_as": ("uses the same layout as", "shares its layout with"),
    "backup_of": ("is the backup of", "is backed up in"),
    "copy_of": ("is the SRAM copy of", "is saved to the SRAM copy"),
    "checksum_of": ("is the checksum of", "is checked by"),
    "part_of": ("is part of", "contains"),
    "mirrors_register": ("is a mirror of", "is mirrored at"),
    "read_from_register": ("is read each frame from register", "is read each frame into"),
    "refers_to": ("refers to", "is referred to by"),
    "looks_like": ("is easily confused with", "is easily confused with"),
    "related": ("is related to", "is related to"),
}
# Edges worth pulling into a prompt's context next to an entity that was found, and the share
# of that entity's score the neighbour gets: the counterpart of a classic mistake comes first.
CONTEXT_EDGES: dict[str, float] = {
    "max_of": 0.8, "refills": 0.7, "damages": 0.6, "display_of": 0.8, "high_byte_of": 0.6,
    "shadows": 0.7, "writes_register": 0.6, "mirror_of": 0.5, "kept_in_step_with": 0.6,
    "requires": 0.6, "capacity_of": 0.5, "feeds_into": 0.4, "modifies": 0.4, "backup_of": 0.5,
    "copy_of": 0.5, "checksum_of": 0.5, "looks_like": 0.45, "mirrors_register": 0.5,
    "read_from_register": 0.6,
}
