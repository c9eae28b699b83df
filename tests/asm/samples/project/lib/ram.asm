; WRAM addresses (ALTTP keeps the frame counter at $7E001A).
FrameCounter = $7E001A
PlayerHealth = $7EF36D
