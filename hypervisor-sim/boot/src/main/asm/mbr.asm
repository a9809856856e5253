; amiforge HVM boot chain, stage 1: the master boot record's code area (bytes 0..439).
; Loads the loader's sectors (LBA and count patched in by AmiforgeBootChain at
; LOADER_LBA / LOADER_COUNT) to 0000:8000 with INT 13h AH=42h, checks the loader's
; magic and jumps to it with DL = boot drive. Bytes 440..511 (disk signature,
; partition table, 0x55AA) belong to the partitioner.
; Assemble: nasm -f bin -o mbr.bin mbr.asm
        bits 16
        org 0x7c00

LOADER_ADDR equ 0x8000

start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        cld
        mov [drive], dl
        mov ah, 0x41
        mov bx, 0x55aa
        int 0x13
        jc .no_edd
        cmp bx, 0xaa55
        jne .no_edd
        mov ax, [loader_count]
        mov [dap_count], ax
        mov eax, [loader_lba]
        mov [dap_lba], eax
        mov eax, [loader_lba + 4]
        mov [dap_lba + 4], eax
        mov si, dap
        mov ah, 0x42
        mov dl, [drive]
        int 0x13
        jc .read_error
        cmp dword [LOADER_ADDR + 0x10], 'AMIF'
        jne .bad_loader
        mov dl, [drive]
        jmp 0x0000:LOADER_ADDR
.no_edd:
        mov si, msg_edd
        jmp fail
.read_error:
        mov si, msg_read
        jmp fail
.bad_loader:
        mov si, msg_magic
fail:
        call print
.halt:
        cli
        hlt
        jmp .halt

print:
        lodsb
        or al, al
        jz .done
        mov ah, 0x0e
        mov bx, 0x0007
        int 0x10
        jmp print
.done:
        ret

msg_edd:   db "amiforge MBR: no INT 13h extensions", 13, 10, 0
msg_read:  db "amiforge MBR: cannot read the loader", 13, 10, 0
msg_magic: db "amiforge MBR: no loader at its sectors", 13, 10, 0

        align 4
dap:       db 0x10, 0
dap_count: dw 0
           dw LOADER_ADDR, 0
dap_lba:   dq 0
drive:     db 0x80

        times 0x1a8 - ($ - $$) db 0
loader_lba:   dq 1          ; patched: first loader sector (offset 0x1A8)
loader_count: dw 16         ; patched: loader sectors (offset 0x1B0)
        times 440 - ($ - $$) db 0
