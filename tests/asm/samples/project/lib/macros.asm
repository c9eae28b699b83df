; Macros shared by the sample project.
macro set_byte(addr, value)
    lda.b #<value>
    sta.l <addr>
endmacro

macro wait_lines(n)
    ldx.w #<n>
-   dex
    bne -
endmacro
