; Code in bank $01, reached with JSL; includes binary data relative to this file.
org $018000
Module_Main:
    phb : phk : plb
    %wait_lines($0010)
    ldy.w #$0000
.copy
    lda.w Palette,y
    tyx
    sta.l $7EC500,x
    iny
    cpy.w #Palette_end-Palette
    bne .copy
    if !sram_slot == 6
        lda #$01
    else
        lda #$02
    endif
    plb
    rtl

Palette:
    incbin "palette.bin"
.end
    pushpc
    org $01F000
    db $EA
    pullpc
    db $FF
