"""More of asar 1.91's language as real hacks write it (the ALTTP randomizer's base patch
among them), each case compared byte for byte with the asar binary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from afs.asm.asar import asar_assemble, run_asar
from afs.asm.assembler import assemble, assemble_file
from afs.asm.build import build
from afs.asm.errors import AsmError
from tests.asm.difftools import (
    ASAR,
    FREE_ROM,
    SKIP_REASON,
    assert_refused_as_asar,
    assert_warnings_as_asar,
    first_difference,
)

# SPC700 one-byte operands given wider values: asar writes the low byte (with a warning)
SPC700_WIDE = ("lorom\norg $008000\narch spc700\nmov a, #$1234\nmov a, #$12\n"
               "adc a, #$100\nmov x, #$1FF\nand a, #-1\nand a, #-300\nmov a, $1234\n"
               "mov a, $12\nmov $12, #$345\nmov a, $12+x\nmov.b a, #$1234\n"
               "mov a, ($1234)+y\nmov a, ($1234+x)\ncmp x, #$1234\nmov a, (x)\n"
               # forms with only a byte operand: the low byte, silently (one operand;
               # dp,dp; branches) or with the warning (a register beside it)
               "L:\npcall $FF12\npcall $1234\nmov $12, $345\nmov $345, $12\n"
               "mov $1234, $5678\nor $12, $345\nincw $1234\ndecw $1234\nasl $1234+x\n"
               "movw ya, $1234\nmovw $1234, ya\naddw ya, $1234\nmov $1234+y, x\n"
               "mov x, $1234+y\nmov $1234+x, y\nmov y, $1234+x\ndbnz $1234, L\n"
               "cbne $1234+x, L\n"
               # the bit on the address: `set1 $12.3` is `set3 $12`
               "set1 $12.3\nclr1 $12.7\nSET1 $12.7\nset1.b $12.3\nbbs $12.3, L\n"
               "bbc $12.0, L\n")
CASES = {
    "spc700_wide_values": SPC700_WIDE,
    # one-line conditionals: after an `if` not taken, only conditionals run on the line;
    # an `if` with statements after it and no `endif` closes at the end of the line
    "inline_conditionals": "lorom\norg $008000\nif 0 : db 5 : endif\ndb 6\n"
                           "if 0 : db 5 : else : db 7 : endif\nif 0 : nop : endif\n"
                           "if 1 : db 8\nif 0 : db 9\nif 0\ndb 1\nelse : db $0A : endif\n"
                           "if 1 : db $0B : elseif 1 : db $0C : else : db $0D : endif\n"
                           "if 0 : db $0E : endif : db $10\n",
    "braces_group_lines": """\
lorom
org $008000
Main:
{
    lda #$01 : {
    }
}
.sub: {
nop : }
dw Main_sub
""",
    "old_single_equals_in_conditions": """\
lorom
org $008000
Main: nop
assert Main = $008000, "at the start"
if 1 = 1
db 1
endif
while 0 = 1
endwhile
""",
    "jump_to_an_anonymous_label_on_its_line": """\
lorom
org $05B55E : JMP ++ : ++
org $05B580 : JMP ++ : ++
org $00C000
-- : bra -- : lda -- : jmp +++ : +++
""",
    "struct_arrays_extends_align": """\
lorom
struct Room $7EF000
    .l
    .low: skip 1
    .high: skip 1
endstruct align 4
struct Extra extends Room
    .flag: skip 3
endstruct
struct Sprite $7E0D00
    .x: skip 16
    .y: skip 16
endstruct
org $008000
lda.l Room[$07].l : sta.l Room[$010B].low
lda Room[3].high : lda.l Room[2+1]
dw sizeof(Room), objectsize(Room), sizeof(Room.Extra), Room.Extra.flag, Room.Extra
dw Sprite.y, sizeof(Sprite), Sprite[2].x
here:
struct Local
    .a: skip 2
endstruct
dw Local.a, sizeof(Local)
""",
    "macro_labels_and_anonymous_labels": """\
lorom
org $008000
macro m(v)
  lda <v> : bne ?+
  nop
?+
?- : nop
  bra ?-
  beq ?++
  nop
?++
  !BLT ?done
  sta $00
  ?done:
endmacro
!BLT = "bcc"
Main:
%m($10)
%m($20)
.sub: dw .sub
""",
    "quoted_macro_arguments_lose_their_quotes": """\
lorom
org $008000
macro m(t, n)
db "<t>", <n>
db "x<t>y"
endmacro
%m("AB", "1")
%m(CD, 2)
""",
    "semicolon_at_runs_the_command": """\
lorom
org $008000
db 1
;@ pushpc
org $009000
db 2
;@ pullpc
db 3 ; a comment ;@ not a command
db ";@", 4 ; a comment
""",
    "tables_pushed_and_pulled": """\
lorom
org $008000
table "tbl.txt"
db "ABC"
pushtable
cleartable
db "ABC"
pulltable
db "ABC"
""",
    "hash_before_data_values_and_bare_sublabels": """\
lorom
org $008000
Main:
.row0 dw #$28FB, $28F9
.row1 db #$12, #5
dw .row0, .row1
""",
    "spc700_long_labels_and_anonymous_branches": """\
lorom
Far = $00277E
org $19FE41
arch spc700
base $0A73
  JMP Far
  CMP A,#$F0
  BNE +
  JMP $0A81
+ MOV A,#$00
- BEQ -
  BNE -
arch 65816
""",
    "floating_point_functions_truncate": """\
lorom
org $008000
db sqrt(2), sqrt(17), sqrt(65536)>>8, log(100), log10(1000), log2(1024), log2(1000)
db sin(2), cos(0), tan(1), atan(100), asin(1), acos(0), arctan(3), arcsin(0), arccos(1)
db sqrt(10)*sqrt(10), floor(7), ceil(7), round(7, 2)
dw -sin(5)*100, sqrt(1000)*1000
""",
    "asar_version_header_exact_math": """\
asar 1.91
lorom
org $008000
db 2+3*4, 8/2, 5-3-1, 12/4*2, sqrt(16), 1<<3|1, 2**3
math pri off
db 2+3*4
math round on
db 8/2*2
""",
    "freespacebyte_fills_the_gaps_it_writes_past": """\
lorom
freespacebyte $FF
org $008000
db 1
org $008010
db 2
freespacebyte $00
org $008020
db 3
freespacebyte $EA
org $018000
db 4
""",
    "asar_version_before_1_90": """\
; old patch

asar 1.50
lorom
org $008000
db 2+3*4, 7/2*2
""",
    # asar resolves defines in one scan: a value is resolved in turn, what it writes is not
    # scanned again; `\\!` is a `!` and `\\\\` a `\\`, with or without defines on the line
    "namespaces_nested": """lorom
org $008000
namespace nested on
namespace A
namespace B
x:
namespace off
y:
pushns
namespace C
w:
pullns
namespace off
z:
namespace nested maybe
namespace D
namespace E
v:
namespace off
dw A_B_x, A_y, C_w, z, E_v
""",
    "skip_and_fill_align": """lorom
org $008000
db 1
skip align 8
db 2
skip align 16 offset 3
db 3
fillbyte $EE
fill align 4
db 4
fill align 8 offset 2
db 5
skip align 1
base $7E0003
skip align 16
L: dw L
base off
db canreadfile1("tbl.txt", 3), canreadfile2("tbl.txt", 14), canreadfile("tbl.txt", 1, 4)
db canreadfile4("nope.bin", 0)
""",
    # labels asar calls static (set by `name = value`, or in a struct at a fixed address)
    # may stand in conditions, assignments and amounts; `assert` takes any label
    "static_labels": """lorom
org $008000
X = 2
if X == 2
db 1
endif
skip X
fill X
struct S2 $1000
.a: skip 2
endstruct
struct S3 extends S2
.b: skip 1
endstruct
Y = S2.S3.b
if S2.a == $1000 && Y > 0
dw Y
endif
namespace N
Z = 1
if Z == 1
db 5
endif
namespace off
if N_Z == 1
db 6
endif
L: db 7
assert L == $8009
V = $8000
if datasize(V) > 0
db datasize(V)
endif
""",
    # incbin ranges: an end of 0 is the file's end; the older `start-end` reads hex digits
    # (`A-E` is 10..14) or expressions in parentheses
    "incbin_ranges": "lorom\norg $008000\nincbin \"tbl.txt\":A-E\nincbin \"tbl.txt\":2-0\n"
                     "incbin \"tbl.txt\":3..0\nincbin \"tbl.txt\":(1+1)-(5)\n"
                     "incbin \"tbl.txt\":0..0\nincbin \"tbl.txt\":0x2-0x4\n",
    # `pullbase` makes the logical address the one `pushbase` kept (not the base it had)
    "pushbase_keeps_the_address": "lorom\norg $008000\npushbase\nbase $1234\nL: db 1\n"
                                  "pullbase\nM: dw L, M\nbase $C00000\npushbase\npushbase\n"
                                  "base $2000\ndb 1\npullbase\ndb 2\npullbase\nN: dw N\n"
                                  "lda N\nbase off\nO: dw O\n",
    # `pushpc` leaves no address (asar's -1) until an org: a byte or label sets the default
    # org, $008000, over what is there; `pushbase` there keeps "none" for `pullbase`
    "pushpc_leaves_no_address": "lorom\norg $009000\ndb 9\npushpc\ndb 1\nL: db 2\npullpc\n"
                                "db 3\ndw L\npushpc\npushbase\ndb 4\npullbase\ndb 5\npullpc\n"
                                "db 6\npushbase\npushpc\npullbase\nM: db 7\npullpc\ndw M\n",
    "pushbase_before_any_org": "lorom\npushbase\ndb 1,2,3\npullbase\ndb 4\npushbase\n"
                               "org $008010\nN: db 5\npullbase\nO: dw N, O\n",
    # before any org: `pc()` is -1 (no default org yet), a `base` goes with the default org
    # the next byte sets, a skip back or of nothing stays without an address
    "before_any_org": "lorom\nskip 0\nskip -3\nbase $9000\nskip align 1\ndb pc()\n"
                      "M: dw M, realbase()\nif pc() < 0\ndb 5\nendif\n",
    # an operand sized before any org: asar's address -1 reads as one in a freespace block
    # of its own, so no label is in its bank (the org defaults when the opcode is written)
    "widths_before_any_org": "lorom\nlda L2\nlda +\nlda L2+0\noptimize dp always\nlda Dp\n+\n"
                             "L2:\nDp = $7E0012\n",
    "widths_after_pushpc": "lorom\norg $008000\npushpc\nlda L\nlda.w L\npullpc\nL = $001234\n",
    # a name in a namespace is looked for there first, even when only the pass before
    # found it there (asar's one label table)
    "namespace_name_defined_later": "lorom\norg $008000\nnamespace outer\nnamespace nested on\n"
                                    "namespace inner\npushns\nnamespace side\nHere:\npullns\n"
                                    "jsr side_Here\nnamespace side\nHere:\nnamespace off\n"
                                    "namespace nested off\njsr side_Here\n",
    # `pad` fills up to the target's place in the file, from the real address
    "pad_by_file_position": "lorom\norg $06FFF8\npadbyte $42 : pad $078000\norg $078000\n"
                            "db 1\norg $008000\nbase $1000\ndb 2\npad $008004\ndb 3\n",
    # a divisor that is 0 while labels are not found yet: a later pass decides
    "division_by_forward_labels": "lorom\norg $008000\ndb $80/(Second-First)\nFirst:\ndw 0\n"
                                  "Second:\n",
    # `name = value` is a label for any name but asar's condition words and `check`
    "command_words_as_labels": "lorom\norg $008000\nFillByte = $EE\ndb = 1\nmath = 2\n"
                               "print = 3\ndb FillByte, db, math, print\n",
    # the built-in defines
    "builtin_defines": "lorom\norg $008000\ndb stringsequal(\"!assembler\", \"asar\")\n"
                       "dw !assembler_ver\nif !assembler_ver >= 10900\ndb 1\nendif\n",
    # loops on one line: the line's defines first; `while` runs the body once at most
    "one_line_loops": "lorom\norg $008000\nfor i = 0..4 : db 1 : endfor\n!n = 0\n"
                      "while !n < 3 : db !n : !n #= !n+1 : endwhile\ndb !n\n"
                      "!m = 5\nwhile !m < 3 : db !m : endwhile\n",
    # a define set in a block after ` : `, or at the start of a define's value, is run as
    # asar's define pass meets it
    "define_sets_met_in_a_line": "lorom\norg $008000\n!n = 0\ndb !n : !n #= !n+1 : db !n\n"
                                 "!step = \"!n #= !n+1\"\n!step\n!step\ndb !n\n"
                                 "db 9 : !q = 4 : db !q\n",
    "define_name_of_defines": "lorom\norg $008000\n!a = x\n!b = y\n!x_y = 1\n"
                              "!{!{a}_!{b}} = 7\ndb !x_y\n",
    # `name = value` leaves the sublabel scope as it was
    "assignment_keeps_the_scope": "lorom\norg $008000\nMain:\nX = 5\n.sub: db 1\ndl Main_sub\n",
    # a macro's own labels: `?.sub` under the call's last `?label:`, `?-:`/`?+:` with their
    # colon, `?name = value`; `#` labels and `global #label:` leave the scope alone
    "macro_labels": "lorom\norg $008000\nmacro m()\n?Main:\ndb 1\n?.Sub:\n?..Deep: db 2\n"
                    "dl ?.Sub, ?Main_Sub, ?..Deep, ?Main_Sub_Deep\n?-:\ndl ?-, ?+\n?+:\n"
                    "?A = $9000\ndl ?A\nendmacro\nTop:\n%m()\n%m()\n#Hash:\n#.HashSub:\n"
                    "global #G:\n.Sub: db 3\ndl Top_HashSub, Top_Sub, Hash, G\n",
    # `check bankcross on` only warns (what `off` turned off stays off); `half` checks the
    # $xx8000 borders too
    "bankcross_on_keeps_off": "lorom\ncheck bankcross off\ncheck bankcross on\norg $00FFFF\n"
                              "db 1,2\n",
    # `sa1rom a,b,c,d`: the 1 MB banks the SA-1's four registers map in
    "sa1rom_banks": "sa1rom 0,1,4,6\norg $008000\ndb 1\norg $A08000\ndb 2\norg $E00000\n"
                    "db 3\ndl pctosnes($600000), snestopc($A08000)\nsa1rom 6,7,4,5\n"
                    "org $108000\ndb 4\nsa1rom\norg $208000\ndb 5\n",
    "warn_xkas": "lorom\norg $008000\nwarn xkas on\ndb 1\nwarn xkas off\n",
    # asar shifts a 64-bit integer by the count's low six bits
    "shift_counts_past_63": "lorom\norg $008000\ndd 1<<64, 1<<65, $100>>64, $100>>66, 1<<99\n"
                            "dd -8>>65, 3<<127\n",
    "skip_before_any_org_unchecked": "lorom\ncheck bankcross off\nskip 3\ndb 1\n",
    # asar keeps `name = value` as a 32-bit int, -1 meaning "here"; labels read 24 bits
    "label_assigned_minus_one": "lorom\nA = -1\norg $009000\nnop\nB = -1\nC = $1FFFFFFFF\n"
                                "D = -2\nE = $12345678\ndl A, B, C, D\ndd E\nif D > 0\ndb 1\n"
                                "endif\nlda D\n",
    # a struct's size before the struct: the pass before's, as a label's address
    "sizeof_before_struct": """lorom
org $008000
db sizeof(S), objectsize(S)
skip sizeof(S)
L: dw L
struct S $0000
.a: skip 3
endstruct
struct T extends S
.b: skip 2
endstruct
""",
    # found building spannerisms/lttphack: labels with dots, sublabels that begin with a
    # digit, `.field` inside a struct, `org --`, macro arguments without their spaces and a
    # `;` an argument brings
    "lttphack_forms": """lorom
org $008000
Main:
.a.b: db 1
.4digit
db 2
.4digit_start: db 3
..2x db 4
dw .a.b, Main_a.b, .4digit, .4digit_start, Main_4digit, ..2x
bra .4digit
Foo.bar: db 5
dw Foo.bar
struct S $1000
.x.y: skip 2
.z skip 1
print dec(.z-.x.y)
endstruct
dw S.x.y, S.z
--
db 6
org --
db 7
macro inner(a, b)
db "<a>", <b>
endmacro
macro outer(name, v)
%inner(<name>, <v>)
endmacro
%outer("HUD font", 3)
%outer("Gold; Silvers", 1 + 2)
%inner(' ', 0)
""",
    # a `for` variable is the define it was before the loop (or none) after it
    "for_variable_restored": """lorom
org $008000
for i = 0..2
db !i
endfor
db defined("i")
!i = 7
for i = 0..2
db !i
!i = 9
endfor
db !i
for k = 0..0
endfor
db defined("k")
""",
    "define_resolution": """lorom
org $008000
!ab = 7
!n = b
db !{a!n}
!a = !b
!b = 3
db !a
!e = "+"
db 5!e!b
db "\\!x", "a\\\\b", "c\\d"
!x = 5
db "\\\\!x"
!{y} = 4
!{a!n} = 6
db !y, !ab
!c := 5
!d := !c+1
!c = 9
db !d, pctosnes($1234)>>16, snestopc($7E0000)
dl pctosnes($500000), pctosnes($1234)
""",
}
PRINT_CASES = {
    "pc_without_an_address": "lorom\nprint pc\nprint hex(pc()), \" \", hex(realbase())\n"
                             "org $008000\npushpc\nprint pc\npullpc\nprint pc\nL = -2\n"
                             "print hex(L), \" \", dec(L)\n",
    "bytes_and_freespaceuse": "lorom\norg $008000\ndb 1,2,3\nprint bytes\nreset bytes\n"
                              "dw 4\nfreecode cleaned\nnop\nprint bytes\nprint freespaceuse\n"
                              "reset freespaceuse\nprint freespaceuse\n",
    "double": "lorom\norg $008000\nprint double(1.5)\nprint double(7/2), double(-2)\n"
              "print \"x\", double(10, 2), \"y\"\nprint dec(3), hex(255, 4)\n",
    # digits: at least that many (0..64); `bin` counts a minus sign among them
    "digits": "lorom\norg $008000\nprint bin(5), \" \", BIN(0), \" \", bin(255, 4)\n"
              "print bin(-5), \" \", bin(-5, 8), \" \", bin(2.7), \" \", bin(5, 70)\n"
              "print dec(5, 3), \" \", dec(-5, 4), \" \", dec(5, -3), \" \", hex(10, 100)\n",
}
ERROR_CASES = {
    "warnpc_before_any_org": "lorom\nwarnpc $FFFFFF\n",
    "warnpc_after_pushpc": "lorom\norg $008000\npushpc\nwarnpc $FFFFFF\npullpc\n",
    # (asar branches from its address -1, read as $FFFFFF)
    "branch_before_any_org": "lorom\nbra L\nL:\n",
    "branch_after_pushpc": "lorom\norg $008000\npushpc\nbrl L\npullpc\nL:\n",
    "half_bank_crossed": "hirom\ncheck bankcross half\norg $C07FFF\ndw 0\n",
    "global_hash_label_keeps_the_scope": "lorom\norg $008000\nL:\n.s:\nglobal #G:\n.s:\n",
    # asar checks a line's quotes again once its defines are put in
    "define_breaks_quotes": "lorom\norg $008000\n!w = \"a\"\"b\"\nprint \"!w\"\n",
    "sa1rom_three_banks": "sa1rom 0,1,2\norg $008000\ndb 1\n",
    "builtin_define_set": "lorom\norg $008000\n!assembler = \"other\"\n",
    "builtin_define_appended": "lorom\norg $008000\n!assembler_ver += 1\n",
    "one_line_for_reads_its_variable": "lorom\norg $008000\nfor i = 0..3 : db !i : endfor\n",
    "one_line_for_not_last": "lorom\norg $008000\nfor i = 0..3 : db 1 : endfor : db 2\n",
    "skip_before_any_org": "lorom\nskip 3\n",
    "skip_after_pushpc": "lorom\norg $008000\npushpc\nskip 2\ndb 1\npullpc\n",
    "skip_one_before_any_org": "lorom\nskip 1\ndb 1\n",
    "too_new": "asar 1.92\nlorom\norg $008000\ndb 1\n",
    "bad_version": "asar 1.9\nlorom\norg $008000\ndb 1\n",
    "not_at_start": "lorom\nasar 1.91\norg $008000\ndb 1\n",
    "spc700_bit_address_past_direct_page": "lorom\norg $008000\narch spc700\nnop\n"
                                           "set1 $1234.3\n",
    "spc700_set_past_direct_page": "lorom\norg $008000\narch spc700\nnop\nset3 $1234\n",
    "spc700_bbs_past_direct_page": "lorom\norg $008000\narch spc700\nL:\nbbs3 $1234, L\n",
    "incbin_target": "lorom\norg $008000\nincbin \"tbl.txt\" -> Foo\n",
    "unknown_math_setting": "lorom\norg $008000\nmath foo on\n",
    "skip_align_not_power_of_two": "lorom\norg $008000\nskip align 3\n",
    "skip_align_bad_word": "lorom\norg $008000\nskip align 4 foo 2\n",
    # a label set by its position is not static: asar refuses it in these places
    "nonstatic_in_if": "lorom\norg $008000\nL: db 1\nif L\ndb 1\nendif\n",
    "nonstatic_in_elseif": "lorom\norg $008000\nL: db 1\nif 0\nelseif L == 1\nendif\n",
    "nonstatic_forward_in_if": "lorom\norg $008000\nif Fwd == 1\nendif\nFwd:\n",
    "nonstatic_in_while": "lorom\norg $008000\nL: db 1\nwhile L < 0\nendwhile\n",
    "nonstatic_in_for": "lorom\norg $008000\nL: db 1\nfor i = 0..L\nendfor\n",
    "nonstatic_bank_in_if": "lorom\norg $008000\nL: db 1\nif bank(L) == 0\nendif\n",
    "nonstatic_assigned": "lorom\norg $008000\nL: db 1\nX = L+1\n",
    "nonstatic_define_math": "lorom\norg $008000\nL: db 1\n!d #= L\n",
    # the label `datasize()` names is checked too (its value is not read)
    "nonstatic_datasize_in_if": "lorom\norg $008000\nL: db 1,2\nM:\nif datasize(L) > 0\n"
                                "endif\n",
    "nonstatic_quoted_datasize_in_elseif": "lorom\norg $008000\nL: db 1,2\nM:\nif 0\n"
                                           "elseif datasize(\"L\") > 0\nendif\n",
    "nonstatic_datasize_assigned": "lorom\norg $008000\nL: db 1,2\nM:\nX = datasize(L)\n",
    "nonstatic_datasize_define_math": "lorom\norg $008000\nL: db 1,2\nM:\n!d #= datasize(L)\n",
    "nonstatic_skip": "lorom\norg $008000\nL: db 1\nskip L&1\n",
    "nonstatic_fill": "lorom\norg $008000\nL: db 1\nfill L&1\n",
    "nonstatic_skip_align": "lorom\norg $008000\nL: db 1\nskip align L&4\n",
    "nonstatic_incbin_range": "lorom\norg $008000\nL: db 1\nincbin \"tbl.txt\":0..L&3\n",
    "old_incbin_range_unclosed": "lorom\norg $008000\nincbin \"tbl.txt\":(1+1-(5)\n",
    "old_incbin_range_not_hex": "lorom\norg $008000\nincbin \"tbl.txt\":2-G\n",
    "old_incbin_range_signed": "lorom\norg $008000\nincbin \"tbl.txt\":-3\n",
    "old_incbin_range_backwards": "lorom\norg $008000\nincbin \"tbl.txt\":A-2\n",
    "nonstatic_freespacebyte": "lorom\norg $008000\nL: db 1\nfreespacebyte L\n",
    "nonstatic_struct_base": "lorom\norg $008000\nL: db 1\nstruct S L\n.a: skip 2\n"
                             "endstruct\nX = S.a\n",
    "sublabel_assigned": "lorom\norg $008000\nTop:\n.sub = 3\n",
    "anonymous_label_assigned": "lorom\norg $008000\n-\nX = -\n",
    "global_label_begins_with_digit": "lorom\norg $008000\n4abc: db 1\n",
    # `!!y` with `!y = x` is `!x`, not scanned again: not a number
    "define_not_rescanned": "lorom\norg $008000\n!x = 1\n!y = x\ndb !!y\n",
}
_FREE_ROM = FREE_ROM
FILES = {"tbl.txt": "A=10\nB=20\nC=30\n"}


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_asar(name: str, tmp_path: Path) -> None:
    source = CASES[name]
    (tmp_path / "patch.asm").write_text(source)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    ours = assemble_file(tmp_path / "patch.asm").rom(fix_checksum=False)
    theirs = asar_assemble(source, files=dict(FILES))
    assert first_difference(ours, theirs) is None


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_refused_at_the_line_asar_names(name: str, tmp_path: Path) -> None:
    src = tmp_path / "patch.asm"
    src.write_text(ERROR_CASES[name])
    for file, text in FILES.items():
        (tmp_path / file).write_text(text)
    assert_refused_as_asar(src)


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(PRINT_CASES))
def test_prints_as_asar(name: str, tmp_path: Path) -> None:
    src = tmp_path / "patch.asm"
    src.write_text(PRINT_CASES[name])
    rom = tmp_path / "rom.sfc"
    rom.write_bytes(_FREE_ROM)
    output = run_asar(src, rom, fix_checksum=False)
    assert assemble_file(src, rom=_FREE_ROM).prints == output.strip().splitlines()


def test_fractions_under_asar_1_90_are_refused_not_truncated() -> None:
    with pytest.raises(AsmError, match="fraction"):
        assemble("asar 1.90\norg $008000\ndb 1/2*4\n")
    assert assemble("org $008000\ndb 1/2*4\n").binary() == b"\x00"


def test_xkas_mode_is_one_clear_error() -> None:
    with pytest.raises(AsmError, match=r"'xkas' .* is not supported") as exc:
        assemble("xkas\norg $008000\ndb 1\n")
    assert (exc.value.line, exc.value.column) == (1, 1)


def test_global_macro_label_is_refused() -> None:
    # (asar refuses it too, naming the line before, as it names macro lines)
    with pytest.raises(AsmError, match="expected 'global Label:'") as exc:
        assemble("lorom\norg $008000\nmacro m()\nglobal ?label:\nendmacro\n%m()\n")
    assert exc.value.line == 4


def test_braces_and_old_equals_without_asar() -> None:
    asm = assemble("org $008000\n{\nnop\n}\nif 2 = 2\ndb 7\nendif\n")
    assert asm.binary() == b"\xea\x07"


def test_struct_arrays_without_asar() -> None:
    asm = assemble("struct S $1000\n.a: skip 1\n.b: skip 1\nendstruct align 4\n"
                   "struct T extends S\n.c: skip 4\nendstruct\n"
                   "org $008000\ndw S[2].b, objectsize(S), sizeof(S), S.T.c\n")
    assert asm.binary() == bytes.fromhex("1110 0800 0400 0210".replace(" ", ""))


def test_jump_to_label_later_on_the_line_is_two_bytes() -> None:
    assert assemble("org $058000 : JMP ++ : ++\n").binary() == b"\x4c\x03\x80"


WARNING_CASES = {
    "push_disable_pull": "lorom\nwarnings push\nwarnings disable Wmissing_org\ndb 1\n"
                         "warnings pull\nwarn \"x\"\n",
    "numbered_and_bare_names": "lorom\nwarnings disable 1008\nwarnings disable warn_command\n"
                               "warn \"y\"\ndb 1\n",
    "enable_again": "lorom\nwarnings disable Wwarn_command\nwarn \"a\"\n"
                    "warnings enable Wwarn_command\nwarn \"b\"\ndb 1\n",
    "ignored_words": "lorom\nwarnings foo\nwarnings foo bar\ndb 1\n",
    "leak_silenced": "lorom\nwarnings disable Wfreespace_leaked\nfreecode\nnop\n",
    "push_without_pull": "lorom\nwarnings push\ndb 1\nnop\n",
    "pull_without_push": "lorom\nwarnings pull\ndb 1\n",
    "unknown_id": "lorom\nwarnings disable Wbogus\ndb 1\n",
    "warn_without_text": "lorom\norg $008000\nwarn\n",
    # asar's deprecations and 65816 warnings, where AFS emits them
    "db_hash": "lorom\norg $008000\ndb #$12, $34, #3\ndw #$1234\ndl #1 : dd #2\ndb #$12\n",
    "db_hash_disabled": "lorom\norg $008000\nwarnings disable Wfeature_deprecated\ndb #1\n"
                        "warnings enable Wfeature_deprecated\ndb #1\n",
    "if_equals": "lorom\norg $008000\nif 1 = 1\nnop\nelseif 2 = 2\nnop\nendif\n"
                 "if 1 = 0\nif 3 = 3\nendif\nelseif 2 = 2\nelseif 4 = 4\nendif\n"
                 "!i = 0\nwhile !i = 0\n!i #= !i+1\nendwhile\nif 1 == 1\nendif\n"
                 "if 1 = 0 && 2 = 2\nendif\nif 1 = 1 || 2 = 2\nendif\nif 1 = 1 && 2 = 2\n"
                 "endif\nif 0\nelseif 1 = 0 && 2 = 2\nendif\nif 1\nelseif 1 = 1 && 2 = 2\n"
                 "endif\nassert 1 = 1 && 2 = 2\n",
    "table_warnpc_math": "lorom\norg $008000\ntable tbl.txt\nwarnpc $018000\nmath pri on\n"
                         "math round off\nmath pri off\ndb 1\n",
    "index_widths": "lorom\norg $008000\nLDA.b $12,y\nLda $12,y\nsta.w $12,y\nldx $12,y\n"
                    "lda $1234,y\nadc $12,y\nlda ($12),x\nlda ($12)+1,x\nlda (($12)),x\n"
                    "lda.w ($12),x\nlda $12+($12),x\nlda $12,y\nlda $12,y\n",
    "in_macro_twice": "lorom\norg $008000\nmacro m()\ndb #1\nlda $12,y\nif 1 = 1\nendif\n"
                      "endmacro\n%m()\n%m()\ndb #1\n",
    "rep_and_loops": "lorom\norg $008000\nrep 2 : db #3\nfor i = 0..3\ndb #!i\nendfor\n",
    "left_to_right_math": "lorom\norg $008000\ndb 1+2*3\ndb 2*3+1\ndb 1+2+3\ndb (1+2)*3\n"
                          "db 1+(2*3+1)\nlda #1+2*3\ndw 1+2*3, 4*5+6, 2*(3+4*5)\ndb 1<<2+1\n"
                          "db 8/2*2\nif 1+2*3 == 9\nendif\nmacro m(a)\ndb <a>*2+1\n"
                          "db 1+<a>*2\nendmacro\n%m(1)\n%m(1)\n%m(0)\nL = 1+2*0\ndb L\n"
                          "if 1+2*3 == 1+2*3\nendif\nif 1+2*3 == 9 && 2*3+1 == 7\nendif\n"
                          "assert 1+2*3 == 9\nwhile 1+2*3 == 7\nendwhile\n"
                          "if (1+2*3) == 9\nendif\n!x = 1+2*3\nif !x == 9\nendif\n"
                          "math pri on\ndb 1+2*3\n",
    "assert_equals": "lorom\norg $008000\nA1 = 5\nassert A1 = 5, \"no\"\nassert A1 == 5\n"
                     "macro chk(l, v)\nassert <l> = <v>\nendmacro\n%chk(A1, 5)\n%chk(A1, 5)\n",
    "at_prefix": "lorom\norg $008000\n@nop\n;@nop\n@ db 1 : @db 2\nnop : ;@ nop\n  ;@  nop\n"
                 "macro m()\n;@ db 3\nendmacro\n%m()\n%m()\n",
    "labels_in_fill": "lorom\norg $008000\nfillbyte Lab\nLab:\nx = 5\npadbyte x\nfillbyte x\n"
                      "fillword Lab : fill 4\npadword Lab+x\npadbyte 3\n",
    "optimization_settings": "lorom\norg $008000\nDp = $7E0012\nLo = $7E1234\nMir = $001234\n"
                             "Far = $7F1234\nadc Dp\nlda Lo\nlda Mir,x\nlda Far\nlda.w Dp\n"
                             "lda #Dp\nlda #Mir\noptimize dp always\nlda Dp\nlda Lo\n"
                             "optimize address ram\nlda Lo\nlda Mir\n",
    "header_fastrom": "lorom\nheader\nfastrom\norg $008000\nHeader:\ndb 1\n",
    "autoclear": "lorom\norg $008000\nautoclear Foo\nfreecode\nFoo:\nrtl\n",
    "freecode_fixed": "lorom\norg $008000\nautoclean jsl Foo\nfreecode fixed\nFoo:\nrtl\n",
    "function_again": "lorom\norg $008000\nfunction f(a) = a+1\nfunction f(a) = a+2\ndb f(1)\n",
    "incbin_forms": "lorom\norg $008000\nincbin \"tbl.txt\":1-2\nincbin \"tbl.txt\":1..2\n"
                    "incbin \"tbl.txt\" -> $018000\n",
    "mismatched_ends": "lorom\norg $008000\n!i = 0\nwhile !i < 2\n!i #= !i+1\nendfor\n"
                       "for j = 0..2\ndb !j\nendwhile\nwhile 0\nendwhile\n",
    "for_closed_by_endwhile": "lorom\norg $008000\nfor j = 0..2\ndb !j\nendwhile\n",
    "numerical_ids": "lorom\norg $008000\nwarnings disable 1008\nwarnings enable 1008\n"
                     "warnings disable Wmissing_org\ndb 1\n",
    "mappers": "lorom\nhirom\nlorom\nlorom\nexlorom\norg $008000\ndb 1\n",
    "byte_order_marks": "\ufefflorom\norg $008000\ndb 1\nincsrc \"bom.asm\"\nincsrc \"bom.asm\"\n",
    "inline_if": "lorom\norg $008000\nif 1 : db 5\nif 0 : db 5\nif 0 : db 1 : endif\n"
                 "macro m()\nif 1 : db 2\nendmacro\n%m()\n%m()\ndb 3 : if 1\nendif\n",
    "middle_byte_bankcheck_rep_special": "lorom\norg $400000\norg $708000\norg $600000\n"
                                         "org $008000\ncheck bankcross on\nrep -1 : nop\n"
                                         "@foo\n@nop\ndb 1\n",
    "spc700_wide_values": SPC700_WIDE,
    "in_false_if": "lorom\norg $008000\nif 0\ndb #1\nwarnpc $018000\nendif\n",
    "missing_org_again": "lorom\nbase $9000\nprint pc\ndb 1\norg $008000\npushpc\nX = pc()\n"
                         "db 2\npullpc\npushbase\npushpc\npullbase\nL:\npullpc\n",
}
@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("name", sorted(WARNING_CASES))
def test_warnings_as_asar_prints_them(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)         # both name the file as given: patch.asm
    assert_warnings_as_asar(WARNING_CASES[name], {"tbl.txt": "A=41\n",
                                                  "bom.asm": "\ufeffdb #2\n"})


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_warnings_in_asar_order(tmp_path: Path, monkeypatch) -> None:
    # asar prints each pass's warnings as it runs it: pass 0's (table, warnpc, db #), then
    # pass 1's (labels in fillbyte), then pass 2's (math pri, warn, xkas math), whatever
    # their lines; each pass's in source order
    monkeypatch.chdir(tmp_path)
    Path("tbl.txt").write_text("A=41\n")
    Path("patch.asm").write_text(
        "lorom\norg $008000\nmath pri off\nwarn \"first\"\nL: db 2+3*4\ntable tbl.txt\n"
        "fillbyte L\nwarnpc $018000\ndb #1\nmath pri on\nwarn \"last\"\n")
    Path("rom.sfc").write_bytes(_FREE_ROM)
    output = run_asar(Path("patch.asm"), Path("rom.sfc"), fix_checksum=False)
    theirs = [ln.split(" [")[0] for ln in output.splitlines() if ": warning: (W" in ln]
    mine = assemble_file("patch.asm", rom=_FREE_ROM).warnings
    assert len(theirs) == 9 and [w.split(" [")[0] for w in mine] == theirs


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("existing", [True, False])
def test_copier_header_of_smc_files_as_asar(existing: bool, tmp_path: Path) -> None:
    src = tmp_path / "p.asm"
    src.write_text("lorom\norg $008000\ndb 5, 6\n" + ("db read1($00FFD7)\nfreecode\nnop\n"
                                                      if existing else ""))
    ours, theirs = tmp_path / "ours.smc", tmp_path / "theirs.smc"
    if existing:
        for path in (ours, theirs):
            path.write_bytes(b"\xab" * 512 + _FREE_ROM)
    build(src, ours, fix_checksum=False)
    run_asar(src, theirs, fix_checksum=False)
    assert ours.read_bytes() == theirs.read_bytes()
    assert ours.read_bytes()[:512] == (b"\xab" if existing else b"\x00") * 512


def test_cli_defines_as_asar_dash_d(tmp_path: Path) -> None:
    src = tmp_path / "p.asm"
    src.write_text("lorom\norg $008000\ndb !FOO\nif defined(\"BAR\")\ndb 9\nendif\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    subprocess.run([sys.executable, "-m", "afs", "asm", "build", str(src), "-D", "FOO=3",
                    "-DBAR", "--fix-checksum", "off"], check=True, env=env,
                   capture_output=True, text=True)
    assert (tmp_path / "p.sfc").read_bytes()[:2] == b"\x03\x09"
    bad = subprocess.run([sys.executable, "-m", "afs", "asm", "build", str(src), "-D", "=3"],
                         env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "NAME=VALUE" in bad.stdout + bad.stderr
