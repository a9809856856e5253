; A boot sector that loads three more sectors, enters 386 protected mode, runs flat 32-bit
; code (memory above 1 MiB, the VGA buffer, #UD and #GP through the IDT, IRQ 0 from the PIT,
; SIB addressing), returns to real mode through a 16-bit segment keeping DS's 4 GiB limit
; (unreal mode), and reports through COM1 (protected mode) and INT 10h (real mode again).
        bits 16
        org 0x7c00
BASE    equ 0x7c00
start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        mov ax, 0x0203                  ; read 3 sectors: CHS 0/0/2 -> 0000:7E00
        mov cx, 0x0002
        xor dh, dh
        mov bx, 0x7e00
        int 0x13
        jc .fail
        jmp stage2
.fail:  hlt
        times 510 - ($ - $$) db 0
        dw 0xaa55

stage2:
        mov al, 0x11                    ; master PIC to vectors 20h-27h, only IRQ 0 unmasked
        out 0x20, al
        mov al, 0x20
        out 0x21, al
        mov al, 0x04
        out 0x21, al
        mov al, 0x01
        out 0x21, al
        mov al, 0xfe
        out 0x21, al
        lgdt [gdtr]
        lidt [idtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp 0x08:pm32

        bits 32
pm32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x90000
        mov esi, msg_pm
        call puts
        mov dword [0x200000], 0xcafebabe
        cmp dword [0x200000], 0xcafebabe
        jne fail32
        mov esi, msg_high
        call puts
        mov word [0xb8000 + 160], 0x1f50 ; 'P', white on blue, row 1
        ud2
        mov ax, 0x80                    ; beyond the GDT's limit: #GP(0080h)
        mov ds, ax
        mov ax, 0x10
        mov ds, ax
        sti
        hlt                             ; until IRQ 0
        cli
        cmp dword [ticks], 1
        jne fail32
        mov esi, msg_irq
        call puts
        mov ecx, 3
        mov ebx, table
        mov eax, [ebx + ecx * 4]
        cmp eax, 0x44
        jne fail32
        push dword 0x12345678
        pop edx
        cmp edx, 0x12345678
        jne fail32
        jmp 0x18:pm16
fail32:
        mov esi, msg_fail
        call puts
        cli
        hlt

puts:                                   ; ESI: a NUL-terminated string to COM1
        lodsb
        test al, al
        jz .done
        mov dx, 0x3f8
        out dx, al
        jmp puts
.done:  ret

ud_handler:
        push esi
        mov esi, msg_ud
        call puts
        pop esi
        add dword [esp], 2              ; past the UD2
        iretd

gp_handler:
        cmp dword [esp], 0x80           ; the error code: the selector
        jne fail32
        add esp, 4
        push esi
        mov esi, msg_gp
        call puts
        pop esi
        add dword [esp], 2              ; past the MOV DS, AX
        iretd

irq0_handler:
        push eax
        inc dword [ticks]
        mov al, 0x20
        out 0x20, al
        pop eax
        iretd

        bits 16
pm16:
        mov ax, 0x20
        mov ss, ax
        mov eax, cr0
        and al, 0xfe
        mov cr0, eax
        jmp 0:real16
real16:
        xor ax, ax
        mov ss, ax
        mov sp, 0x7c00
        mov ds, ax                      ; base 0; the 4 GiB limit loaded in protected mode stays
        mov ebx, 0x200000
        mov eax, [ebx]
        cmp eax, 0xcafebabe
        jne .fail
        mov al, 0x11                    ; the PIC back at 08h for the BIOS
        out 0x20, al
        mov al, 0x08
        out 0x21, al
        mov al, 0x04
        out 0x21, al
        mov al, 0x01
        out 0x21, al
        mov al, 0xf8
        out 0x21, al
        lidt [ivtr]
        mov si, msg_real
.p:     lodsb
        test al, al
        jz .d
        mov ah, 0x0e
        int 0x10
        jmp .p
.d:     cli
        hlt
.fail:  mov al, '!'
        mov dx, 0x3f8
        out dx, al
        cli
        hlt

%macro gate 1
        dw ((%1 - $$) + BASE) & 0xffff
        dw 0x08
        db 0, 0x8e
        dw ((%1 - $$) + BASE) >> 16
%endmacro

        align 8
gdt:    dq 0
        dq 0x00cf9a000000ffff           ; 08h: code, 32-bit, flat 4 GiB
        dq 0x00cf92000000ffff           ; 10h: data, flat 4 GiB
        dq 0x00009a000000ffff           ; 18h: code, 16-bit, 64 KiB
        dq 0x000092000000ffff           ; 20h: data, 64 KiB
gdt_end:
gdtr:   dw gdt_end - gdt - 1
        dd gdt
idt:    times 6 dq 0
        gate ud_handler                 ; 06h
        times 6 dq 0
        gate gp_handler                 ; 0Dh
        times 18 dq 0
        gate irq0_handler               ; 20h
idt_end:
idtr:   dw idt_end - idt - 1
        dd idt
ivtr:   dw 0x3ff
        dd 0
ticks:  dd 0
table:  dd 0x11, 0x22, 0x33, 0x44
msg_pm:   db "protected mode", 10, 0
msg_high: db "above 1 MiB", 10, 0
msg_ud:   db "#UD", 10, 0
msg_gp:   db "#GP(0080)", 10, 0
msg_irq:  db "IRQ 0", 10, 0
msg_fail: db "FAILED", 10, 0
msg_real: db "real mode again", 0
        times 2048 - ($ - $$) db 0
