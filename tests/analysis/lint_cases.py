"""Labelled lint routines: for every rule a buggy routine (rule, line) and a clean twin.

`CLEAN_ROUTINES` are realistic routines with no bug; precision is measured over all of them.
"""

from __future__ import annotations

# rule id -> (buggy source, line the rule must report, clean source where it must not fire)
RULE_CASES: dict[str, tuple[str, int, str]] = {
    "M001": ("rep #$20\nlda #$12\nsta $10\nsep #$20\nrts", 2,
             "rep #$20\nlda #$0012\nsta $10\nsep #$20\nrts"),
    "M002": ("sep #$20\nlda $10\nbeq +\nrep #$20\n+\nlda #$01\nsta $12\nrts", 6,
             "sep #$20\nlda $10\nbeq +\nrep #$20\nsep #$20\n+\nlda #$01\nsta $12\nrts"),
    "S001": ("Sub:\npha\nlda #$01\nsta $10\nrts", 5,
             "Sub:\npha\nlda #$01\nsta $10\npla\nrts"),
    "S002": ("ldx #$04\n-\npha\ndex\nbne -\nrts", 3,
             "ldx #$04\n-\npha\npla\ndex\nbne -\nrts"),
    "S003": ("sep #$20\npha\nrep #$20\npla\nsep #$20\nrts", 4,
             "sep #$20\npha\npla\nrep #$20\nrts"),
    # Pushed under one condition, pulled under another (both tests read $10, but the pull's
    # also sees the STZ): the lint cannot tell the conditions apart, so it warns.
    "S005": ("lda $10\nbeq +\npha\n+\nstz $10\nlda $11\nbeq +\npla\n+\nrts", 5,
             "lda $10\nbeq +\npha\nlda #$01\nsta $12\npla\n+\nrts"),
    "S004": ("lda #$01\nsta $10\npla\nrts", 3, "pha\nlda #$01\nsta $10\npla\nrts"),
    "C001": ("jsl Sub\nrts\nSub:\nlda #$01\nsta $10\nrts", 6,
             "jsl Sub\nrts\nSub:\nlda #$01\nsta $10\nrtl"),
    "C002": ("jsr Far\nrts\norg $018000\nFar:\nrts", 1,
             "jsl Far\nrts\norg $018000\nFar:\nrtl"),
    "C003": ("ldx #$05\njsr Clobber\nlda $20,x\nsta $10\nrts\nClobber:\nldx #$00\nstx $11\nrts",
             3, "ldx #$05\njsr Keep\nlda $20,x\nsta $10\nrts\nKeep:\nphx\nldx #$00\nstx $11\n"
                "plx\nrts"),
    "C004": ("Main:\njsr Sub\nrts\nSub:\nlda #$01\nsta $10", 6,
             "Main:\njsr Sub\nrts\nSub:\nlda #$01\nsta $10\nrts"),
    "R001": ("Clear:\n-\nstz $20,x\ndex\nbne -\nrts", 3, "Clear:\nldx #$10\n-\nstz $20,x\ndex\n"
                                                        "bne -\nrts"),
    "R002": ("sep #$20\nrep #$10\nlda $10\ntax\nlda $20,x\nrts", 4,
             "sep #$20\nrep #$10\nlda #$00\nxba\nlda $10\ntax\nlda $20,x\nrts"),
    "F001": ("lda $10\nadc #$05\nsta $10\nrts", 2, "lda $10\nclc\nadc #$05\nsta $10\nrts"),
    "F002": ("lda $10\nclc\nsbc #$05\nsta $10\nrts", 3, "lda $10\nsec\nsbc #$05\nsta $10\nrts"),
    "D001": ("sep #$20\nlda #$01\nsta $420B\nlda #$18\nsta $4301\nrts", 3,
             "sep #$20\nrep #$10\nlda #$01\nsta $4300\nlda #$18\nsta $4301\nldx #$2000\n"
             "stx $4302\nlda #$7E\nsta $4304\nldx #$0800\nstx $4305\nlda #$01\nsta $420B\nrts"),
    "D002": ("rep #$30\nldx #$0000\nstx $4305\nrts", 3, "rep #$30\nldx #$0800\nstx $4305\nrts"),
    "V001": ("UploadTile:\nrep #$20\nlda $10\nsta $2118\nsep #$20\nrts", 4,
             "UploadTile:\nsep #$20\nlda #$80\nsta $2100\nrep #$20\nlda $10\nsta $2118\n"
             "sep #$20\nrts"),
    "I001": ("NMI_Handler:\nrep #$30\npha\nlda $10\nsta $12\npla\nrts", 7,
             "NMI_Handler:\nrep #$30\npha\nlda $10\nsta $12\npla\nrti"),
    "I002": ("IRQ:\nsep #$20\nlda $4211\nlda #$01\nsta $10\nrti", 3,
             "IRQ:\nrep #$30\npha\nsep #$20\nlda $4211\nlda #$01\nsta $10\nrep #$30\npla\nrti"),
    "B001": ("lda $3000\nsta $10\nrts", 1,
             "phb\nlda #$7E\npha\nplb\nlda $3000\nsta $10\nplb\nrts"),
    "B002": ("lda #$01\nsta.l $008000\nrts", 2, "lda #$01\nsta.l $7E8000\nrts"),
    "B003": ("beq Far\n" + "nop\n" * 200 + "Far:\nrts", 1,
             "bne +\njmp Far\n+\n" + "nop\n" * 200 + "Far:\nrts"),
    "W001": ("lda #$01\nsta $4212\nrts", 2, "lda #$01\nsta $4200\nrts"),
    "W002": ("lda $2118\nsta $10\nrts", 1, "lda $2139\nsta $10\nrts"),
    "A001": ("rep #$20\nlda #$8000\nsta $00\nsep #$20\nlda #$7F\nsta $02\nldy #$00\n"
             "lda ($00),y\nrts", 8,
             "rep #$20\nlda #$8000\nsta $00\nsep #$20\nlda #$7F\nsta $02\nldy #$00\n"
             "lda [$00],y\nrts"),
    "A002": ("rep #$20\nlda #$8000\nsta $00\nsep #$20\nldy #$00\nlda [$00],y\nrts", 6,
             "rep #$20\nlda #$8000\nsta $00\nsep #$20\nlda #$7E\nsta $02\nldy #$00\n"
             "lda [$00],y\nrts"),
    "A003": ("sep #$20\nlda #$00\nsta $00\nldy #$00\nlda ($00),y\nrts", 5,
             "rep #$20\nlda #$1000\nsta $00\nsep #$20\nldy #$00\nlda ($00),y\nrts"),
    "A004": ("phd\nlda $10\nsta $11\nrep #$20\nlda #$4300\ntcd\nsep #$20\nlda $10\npld\n"
             "rts", 8,
             "phd\nlda $10\nsta $11\nrep #$20\nlda #$4300\ntcd\nsep #$20\nlda #$01\n"
             "sta $00\npld\nrts"),
    "A005": ("rep #$20\nlda #$4300\ntcd\nsep #$20\nrts", 5,
             "phd\nrep #$20\nlda #$4300\ntcd\nsep #$20\npld\nrts"),
    "N001": ("lda $10\ncmp $11\nbmi +\nstz $12\n+\nrts", 3,
             "lda $10\ncmp $11\nbcc +\nstz $12\n+\nrts"),
    "Q001": ("lda $10\ncmp #$05\nlda #$00\nclc\nadc $11\nsta $12\nrts", 2,
             "lda $10\ncmp #$05\nbcc +\nlda #$00\n+\nsta $12\nrts"),
    "Q002": ("inc $10\nbcs +\nstz $11\n+\nrts", 2, "inc $10\nbne +\nstz $11\n+\nrts"),
    "Q003": ("lda $10\ncmp $11\nbvs +\nstz $12\n+\nrts", 3,
             "lda $10\nsec\nsbc $11\nbvs +\nstz $12\n+\nrts"),
    "L001": ("Hang:\nlda $10\nsta $11\nbra Hang", 2,
             "WaitNmi:\n-\nlda $12\nbeq -\nrts"),
    "L002": ("ldx #$10\n-\nlda $20,x\nsta $30\ncpx #$00\nbne -\nrts", 6,
             "ldx #$10\n-\nlda $20,x\nsta $30\ndex\ncpx #$00\nbne -\nrts"),
    "O001": ("ldx #$A0\n-\nstz $20,x\ndex\nbpl -\nrts", 5, "ldx #$7F\n-\nstz $20,x\ndex\n"
                                                           "bpl -\nrts"),
    "Z001": ("lda $10\nbit #$80\nbmi +\ninc $11\n+\nrts", 3,
             "lda $10\nbit #$80\nbne +\ninc $11\n+\nrts"),
    "Z002": ("lda $10\nand #$00\nsta $10\nrts", 2, "lda $10\nand #$0F\nsta $10\nrts"),
    "G001": ("sed\nlda $10\nclc\nadc #$01\nsta $10\nrts", 6,
             "sed\nlda $10\nclc\nadc #$01\nsta $10\ncld\nrts"),
    "G002": ("Sub:\nlda #$01\nsta $10\nrep #$20\nlda $12\nsta $14\nrts", 7,
             "Sub:\nlda #$01\nsta $10\nrep #$20\nlda $12\nsta $14\nsep #$20\nrts"),
    "T001": ("NMI:\nrep #$30\npha\nphx\nldx #$1000\n-\nlda $7F0000,x\nsta $7F2000,x\ndex\n"
             "bne -\nplx\npla\nrti", 10,
             "NMI:\nrep #$30\npha\nphx\nldx #$0010\n-\nlda $7F0000,x\nsta $7F2000,x\ndex\n"
             "bne -\nplx\npla\nrti"),
}

#: Rules whose severity is "info" (notes, not counted as findings for precision).
INFO_CASES: dict[str, tuple[str, int, str]] = {
    "O002": ("ldx #$10\n-\nstz $20,x\ndex\nbne -\nrts", 5,
             "ldx #$0F\n-\nstz $20,x\ndex\nbpl -\nrts"),
}

CLEAN_ROUTINES: dict[str, str] = {
    "save-restore": "php\nrep #$30\npha\nphx\nphy\nlda $10\nclc\nadc #$0100\nsta $10\nply\nplx\n"
                    "pla\nplp\nrts",
    "copy-loop": "sep #$30\nldx #$0F\n-\nlda $10,x\nsta $30,x\ndex\nbpl -\nrts",
    "add16": "rep #$20\nlda $10\nclc\nadc $12\nsta $14\nsep #$20\nrts",
    "sub8": "sep #$20\nlda $10\nsec\nsbc #$10\nbcs +\nlda #$00\n+\nsta $10\nrts",
    "jump-table": "sep #$30\nlda $10\nasl a\ntax\njmp (Table,x)\nTable:\ndw Zero, One\nZero:\n"
                  "stz $11\nrts\nOne:\nlda #$01\nsta $11\nrts",
    "set-dbr": "phb\npea $7E7E\nplb\nplb\nlda $C500\nsta $10\nplb\nrts",
    "nmi": "NMI:\nrep #$30\npha\nphx\nphy\nphd\nphb\nsep #$20\nlda $4210\nlda #$80\nsta $2100\n"
           "rep #$20\nlda $10\nsta $2118\nrep #$30\nplb\npld\nply\nplx\npla\nrti",
    "long-pointer": "rep #$20\nlda #$8000\nsta $00\nsep #$20\nlda #$7E\nsta $02\nldy #$00\n"
                    "lda [$00],y\nsta $10\nrts",
    "countdown": "sep #$30\nldx #$08\n-\nasl $10\ndex\nbne -\nrts",
    "jsl-rtl": "jsl Helper\nrts\nHelper:\nphb\nphk\nplb\nlda $8000\nsta $10\nplb\nrtl",
    "wait-nmi": "sep #$20\nstz $12\n-\nlda $12\nbeq -\nrts",
    "compare-branch": "sep #$20\nlda $10\ncmp #$20\nbcc +\nlda #$1F\n+\nsta $10\nrts",
    "mvn": "php\nphb\nrep #$30\nldx #$2000\nldy #$4000\nlda #$00FF\nmvn $7E,$7E\nplb\nplp\nrts",
    "tail-jump": "lda $10\nbeq +\njmp Other\n+\nrts\nOther:\nstz $10\nrts",
    "signed-test": "sep #$20\nlda $10\nbpl +\neor #$FF\ninc a\n+\nsta $11\nrts",
    "dp-dma": "phd\nrep #$20\nlda #$4300\ntcd\nsep #$20\nlda #$01\nsta $00\nlda #$18\nsta $01\n"
              "pld\nrts",
}
