; Paging test vectors (Intel SDM vol. 3 ch. 4, 32-bit paging), a boot program for a PC BIOS.
; Run on amiforge's CPU and on QEMU + SeaBIOS: both must print the same lines on COM1.
; It builds a page directory and a page table, enables paging with CR4.PSE, maps a page at an
; alias address and reads and writes through it, reads the accessed and dirty bits back,
; uses 4 MiB pages, takes #PF (not present, write to a read-only page with CR0.WP, an
; instruction fetch, a write that crosses into a page that is not present) in an IDT handler
; that prints the error code, CR2 and the pushed EIP, and remaps pages with INVLPG and a CR3
; reload. Ends with "done", a write to port 0xF4 (QEMU's isa-debug-exit) and CLI; HLT.

SECTORS equ 3                       ; sectors after the boot sector

PD      equ 0x20000                 ; page directory
PT0     equ 0x21000                 ; page table for linear 0-4 MiB
ALIAS   equ 0x300000                ; -> physical 0x5000
HOLE    equ 0x301000                ; not present
RO      equ 0x302000                ; read-only -> physical 0x6000

bits 16
org 0x7c00
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    mov ax, 0x0200 | SECTORS        ; INT 13h AH=02h: the rest of the program after the boot sector
    mov cx, 0x0002
    xor dh, dh
    mov bx, 0x7e00
    int 0x13
    jc disk_error
    in al, 0x92                     ; A20 open
    or al, 2
    and al, 0xfe
    out 0x92, al
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm32
disk_error:
    mov dx, 0x3f8
    mov al, 'E'
    out dx, al
    hlt

align 8
gdt:    dq 0, 0x00cf9a000000ffff, 0x00cf92000000ffff
gdtr:   dw 23
        dd gdt

times 510 - ($ - $$) db 0
dw 0xaa55

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7000
    lidt [idtr]
    cld
    mov edi, PD                     ; zero the directory and the table
    xor eax, eax
    mov ecx, 2048
    rep stosd
    mov edi, PT0                    ; identity map of 0-4 MiB in 4 KiB pages
    mov eax, 0x003
    mov ecx, 1024
.fill:
    stosd
    add eax, 0x1000
    loop .fill
    mov dword [PD], PT0 | 0x003                 ; PDE 0: the table, P|RW
    mov dword [PD + 4], 0x00000083              ; PDE 1: linear 4 MiB -> physical 0, a 4 MiB page
    mov dword [PD + 8], 0x00400083              ; PDE 2: linear 8 MiB -> physical 4 MiB
    mov dword [PT0 + (ALIAS >> 12) * 4], 0x5003
    mov dword [PT0 + (HOLE >> 12) * 4], 0
    mov dword [PT0 + (RO >> 12) * 4], 0x6001    ; present, read-only
    mov dword [0x5000], 0xcafebabe
    mov dword [0x6000], 0x600d600d
    mov eax, cr4
    or eax, 0x10                    ; PSE
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp paged
paged:
    mov esi, s_alias_read           ; a read through the alias sets the PTE's accessed bit only
    mov eax, [ALIAS]
    call line
    mov esi, s_pte_read
    mov eax, [PT0 + (ALIAS >> 12) * 4]
    call line
    mov esi, s_pde0
    mov eax, [PD]
    call line
    mov dword [ALIAS + 4], 0x12345678           ; a write sets the dirty bit
    mov esi, s_alias_write
    mov eax, [0x5004]
    call line
    mov esi, s_pte_write
    mov eax, [PT0 + (ALIAS >> 12) * 4]
    call line

    mov esi, s_big_read             ; 4 MiB page: linear 0x405000 is physical 0x5000
    mov eax, [0x405000]
    call line
    mov esi, s_pde1_read
    mov eax, [PD + 4]
    call line
    mov dword [0x405008], 0x0f0f0f0f
    mov esi, s_big_write
    mov eax, [0x5008]
    call line
    mov esi, s_pde1_write
    mov eax, [PD + 4]
    call line

    mov dword [resume], .r1         ; #PF: read of a page that is not present
.f1:
    mov eax, [HOLE + 4]
.r1:
    mov dword [resume], .r2         ; #PF: write to a page that is not present
.f2:
    mov dword [HOLE + 8], 1
.r2:
    mov dword [RO], 0x11111111      ; CR0.WP clear: CPL 0 writes a read-only page
    mov esi, s_ro_write
    mov eax, [0x6000]
    call line
    mov eax, cr0
    or eax, 0x10000                 ; WP
    mov cr0, eax
    mov dword [resume], .r3         ; #PF: write to a read-only page with CR0.WP set
.f3:
    mov dword [RO + 4], 0x22222222
.r3:
    mov esi, s_ro_after
    mov eax, [0x6004]
    call line
    mov esi, s_ro_read
    mov eax, [RO]
    call line
    mov esi, s_pte_ro
    mov eax, [PT0 + (RO >> 12) * 4]
    call line
    mov dword [resume], .r4         ; #PF on an instruction fetch
    jmp HOLE
.r4:
    mov dword [resume], .r5         ; #PF: a dword write that crosses into the hole changes nothing
.f5:
    mov dword [ALIAS + 0xffe], 0xaabbccdd
.r5:
    mov esi, s_cross
    mov eax, [0x5ffc]
    call line

    mov dword [PT0 + (ALIAS >> 12) * 4], 0x6003 ; remap the alias, then INVLPG
    invlpg [ALIAS]
    mov esi, s_invlpg
    mov eax, [ALIAS]
    call line
    mov dword [PT0 + (ALIAS >> 12) * 4], 0x5003 ; back, then reload CR3
    mov eax, cr3
    mov cr3, eax
    mov esi, s_cr3
    mov eax, [ALIAS]
    call line

    mov dword [0x805000], 0x5eed5eed            ; physical 0x405000 through PDE 2
    mov dword [0x806000], 0x44444444            ; physical 0x406000
    mov eax, [0x406000]                         ; physical 0x6000 through PDE 1
    mov esi, s_big_before
    call line
    mov dword [PD + 4], 0x00400083              ; PDE 1 -> physical 4 MiB; INVLPG drops the whole 4 MiB page
    invlpg [0x405000]
    mov esi, s_big_invlpg
    mov eax, [0x405000]
    call line
    mov esi, s_big_other
    mov eax, [0x406000]
    call line
    mov esi, s_cr2
    mov eax, cr2
    call line

    mov esi, s_done
    call puts
    mov al, 0x10
    out 0xf4, al                    ; QEMU: exit
    cli
    hlt

; #PF: prints "#PF error cr2 eip", resumes at [resume]
pf_handler:
    pushad
    mov esi, s_pf
    call puts
    mov eax, [esp + 32]
    call hex
    call space
    mov eax, cr2
    call hex
    call space
    mov eax, [esp + 36]
    call hex
    call newline
    mov eax, [resume]
    mov [esp + 36], eax
    popad
    add esp, 4
    iretd

; prints the string at ESI, EAX in hex and a newline
line:
    call puts
    call hex
    jmp newline

puts:
    push eax
.next:
    lodsb
    test al, al
    jz .end
    call putc
    jmp .next
.end:
    pop eax
    ret

hex:
    push ecx
    push eax
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and eax, 0xf
    mov al, [digits + eax]
    call putc
    pop eax
    loop .digit
    pop eax
    pop ecx
    ret

space:
    push eax
    mov al, ' '
    call putc
    pop eax
    ret

newline:
    push eax
    mov al, 10
    call putc
    pop eax
    ret

putc:
    push edx
    mov dx, 0x3f8
    out dx, al
    pop edx
    ret

digits:         db "0123456789ABCDEF"
s_alias_read:   db "alias read ", 0
s_pte_read:     db "pte after read ", 0
s_pde0:         db "pde 0 ", 0
s_alias_write:  db "alias write ", 0
s_pte_write:    db "pte after write ", 0
s_big_read:     db "4M read ", 0
s_pde1_read:    db "pde 1 after read ", 0
s_big_write:    db "4M write ", 0
s_pde1_write:   db "pde 1 after write ", 0
s_ro_write:     db "ro write wp=0 ", 0
s_ro_after:     db "ro after wp=1 write ", 0
s_ro_read:      db "ro read wp=1 ", 0
s_pte_ro:       db "pte ro ", 0
s_cross:        db "cross-page write left ", 0
s_invlpg:       db "invlpg remap ", 0
s_cr3:          db "cr3 reload remap ", 0
s_big_before:   db "4M before ", 0
s_big_invlpg:   db "4M invlpg remap ", 0
s_big_other:    db "4M other 4K of it ", 0
s_cr2:          db "cr2 ", 0
s_pf:           db "#PF ", 0
s_done:         db "done", 10, 0

align 4
resume: dd 0
align 8
idt:    times 14 dq 0
        dw pf_handler, 0x08, 0x8e00, 0
idtr:   dw 15 * 8 - 1
        dd idt

times 512 * (SECTORS + 1) - ($ - $$) db 0
