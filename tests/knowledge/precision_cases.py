"""A request set for precision as well as recall: every address a correct answer needs.

Written for issue 21 after the retrieval changes were designed, none of them copied from
`retrieval_cases.py` (CASES or the held-out set). Each request lists *all* the entities that
belong in its context, so precision@5 (relevant entities among those returned, at most 5)
and recall@5 (relevant entities found in the top 5) can both be measured.
"""

from __future__ import annotations

PRECISION_CASES: list[tuple[str, list[str]]] = [
    ("set the player's rupees to 999", ["$7EF360", "$7EF362"]),
    ("set the rupee count to zero", ["$7EF360", "$7EF362"]),
    ("slide Link two pixels to the left", ["$7E0022"]),
    ("move link down the screen by 8 pixels", ["$7E0020"]),
    ("warp Link to the middle of the room by setting his position",
     ["$7E0020", "$7E0022"]),
    ("nudge the sprite in slot 2 to the right", ["$7E0D10", "$7E0D30"]),
    ("raise the sprite's vertical position", ["$7E0D00", "$7E0D20"]),
    ("was the Y button just pressed this frame", ["$7E00F4", "$4219"]),
    ("is the L shoulder button being held", ["$7E00F2", "$4218"]),
    ("react when start is newly pressed", ["$7E00F4", "$4219"]),
    ("read the controller buttons the player is holding", ["$7E00F0", "$7E00F2", "$4218",
                                                           "$4219"]),
    ("give Link twenty hearts of health", ["$7EF36C", "$7EF36D"]),
    ("top up the magic bar", ["$7EF36E", "$7EF373"]),
    ("add ten arrows to the quiver", ["$7EF377", "$7EF376"]),
    ("give the player 20 more bombs", ["$7EF343", "$7EF375"]),
    ("make the boots let Link dash", ["$7EF355", "$7EF379"]),
    ("give Link the master sword", ["$7EF359"]),
    ("put a blue potion in the first bottle", ["$7EF35C"]),
    ("mark every pendant as collected", ["$7EF374"]),
    ("change the song that is playing", ["$7E012C", "$7E0132"]),
    ("trigger a sound effect when the chest opens", ["$7E012E", "$7E012F"]),
    ("fade the screen to black", ["$7E0013", "$2100"]),
    ("switch Link to bunny form", ["$7E0056", "$7E02E0"]),
    ("which room is Link standing in inside a dungeon", ["$7E00A0"]),
    ("the overworld area Link is in", ["$7E008A", "$7E040A"]),
    ("hurt the enemy in sprite slot 5", ["$7E0E50", "$7E0CE2"]),
    ("what kind of enemy is in this sprite slot", ["$7E0E20"]),
    ("stop Link from taking damage", ["$7E037B"]),
    ("the frame counter", ["$7E001A"]),
    ("the number of small keys Link is carrying", ["$7EF36F"]),
]
