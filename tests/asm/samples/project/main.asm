; A small multi-file asar project: the differential and CLI tests assemble it with AFS and asar.
lorom

!max_health = $A0
!sram_slot #= 2*3

incsrc "lib/macros.asm"
incsrc lib/ram.asm

org $008000
Reset:
    sei
    clc : xce
    rep #$30
    ldx.w #$1FFF : txs
    sep #$20
    %set_byte(PlayerHealth, !max_health)
    jsl Module_Main
.wait
    lda.w FrameCounter
    beq .wait
    bra .wait

Nmi:
    rep #$30 : pha : phx : phy
    inc.w FrameCounter
    ply : plx : pla
    rti

Table:
    dw Reset, Nmi, Table_end-Table
    db "LINK", 0
    dl Module_Main
.end

incsrc "lib/module.asm"

org $00FFC0
    db "AFS SAMPLE PROJECT   "
    db $20, $00, $08, $00, $01, $33, $00
org $00FFEA
    dw Nmi
org $00FFFC
    dw Reset
