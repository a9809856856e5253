; amiforge tiny kernel: a real bzImage (Linux x86 boot protocol 2.10 setup header) whose
; real-mode setup code prints a banner, its command line (read through cmd_line_ptr) and
; the BIOS E820 memory map, then halts with interrupts off. The protected-mode part is a
; stub that is never entered. Any boot-protocol loader (GRUB, syslinux, amiforge's own)
; can load it; amiforge's HvmBoot runs it to the HLT.
; Assemble: nasm -f bin -o tinykernel.bin tinykernel.asm
        bits 16
        org 0

SETUP_SECTS equ 3
PM_SIZE     equ 512

; ---- sector 0: legacy boot sector with the first header fields ----
bootsect:
        mov ax, 0x07c0
        mov ds, ax
        mov si, msg_direct - bootsect
.p:     lodsb
        or al, al
        jz .h
        mov ah, 0x0e
        int 0x10
        jmp .p
.h:     cli
        hlt
        jmp .h
msg_direct: db "amiforge tiny kernel: load me with a Linux boot loader", 13, 10, 0

        times 0x1f1 - ($ - $$) db 0
setup_sects:  db SETUP_SECTS
root_flags:   dw 0
syssize:      dd PM_SIZE / 16
ram_size:     dw 0
vid_mode:     dw 0xffff
root_dev:     dw 0
boot_flag:    dw 0xaa55

; ---- 0x200: setup entry and the rest of the header ----
        jmp short setup_start
header:       db "HdrS"
version:      dw 0x020a
realmode_sw:  dd 0
start_sys:    dw 0x1000
kver_ptr:     dw kernel_version - 0x200
loader_type:  db 0
loadflags:    db 0x01
setup_move:   dw 0x8000
code32_start: dd 0x100000
ramdisk_img:  dd 0
ramdisk_size: dd 0
bs_kludge:    dd 0
heap_end:     dw 0
ext_ldr_ver:  db 0
ext_ldr_type: db 0
cmd_line_ptr: dd 0
initrd_max:   dd 0x7fffffff
kernel_align: dd 0x200000
relocatable:  db 0
min_align:    db 0
xloadflags:   dw 0
cmdline_size: dd 2047
hw_subarch:   dd 0
hw_subarch_d: dq 0
payload_off:  dd 0
payload_len:  dd 0
setup_data:   dq 0
pref_address: dq 0x100000
init_size:    dd 0x10000
handover_off: dd 0

setup_start:
        mov ax, cs
        sub ax, 0x20
        mov ds, ax
        mov es, ax
        cld
        mov si, msg_banner
        call print
        mov si, kernel_version
        call print
        call crlf
        mov si, msg_cmdline
        call print
        mov eax, [cmd_line_ptr]
        or eax, eax
        jz .no_cmdline
        mov ebx, eax
        shr ebx, 4
        mov fs, bx
        and ax, 0x0f
        mov si, ax
        mov cx, 2047
.cmd:   mov al, [fs:si]
        or al, al
        jz .cmd_done
        call putc
        inc si
        loop .cmd
.cmd_done:
        mov al, '"'
        call putc
.no_cmdline:
        call crlf
        mov si, msg_e820
        call print
        xor ebx, ebx
        mov word [entries], 0
.e820:
        mov eax, 0xe820
        mov ecx, 20
        mov edx, 0x534d4150
        mov di, e820buf
        push ebx
        int 0x15
        pop esi                         ; previous continuation (unused)
        jc .e820_done
        cmp eax, 0x534d4150
        jne .e820_done
        push ebx
        mov si, msg_mem
        call print
        mov eax, [e820buf + 4]
        call hex32
        mov eax, [e820buf]
        call hex32
        mov si, msg_dash
        call print
        mov eax, [e820buf]
        mov edx, [e820buf + 4]
        add eax, [e820buf + 8]
        adc edx, [e820buf + 12]
        sub eax, 1
        sbb edx, 0
        push eax
        mov eax, edx
        call hex32
        pop eax
        call hex32
        mov si, msg_close
        call print
        mov eax, [e820buf + 16]
        call type_name
        call print
        call crlf
        inc word [entries]
        pop ebx
        or ebx, ebx
        jnz .e820
.e820_done:
        cmp word [entries], 0
        jne .halt_msg
        mov si, msg_no_e820
        call print
.halt_msg:
        mov si, msg_halt
        call print
        mov al, 0                       ; QEMU's isa-debug-exit (iobase 0xf4), used by the
        out 0xf4, al                    ; benchmark comparison; an unused port elsewhere
        cli
.halt:  hlt
        jmp .halt

type_name:                              ; eax = type -> si = name
        mov si, t_reserved
        cmp eax, 1
        jne .t3
        mov si, t_usable
.t3:    cmp eax, 3
        jne .t4
        mov si, t_acpi
.t4:    cmp eax, 4
        jne .t5
        mov si, t_nvs
.t5:    cmp eax, 5
        jne .done
        mov si, t_unusable
.done:  ret

hex32:                                  ; prints eax as 8 hex digits
        mov cx, 8
.d:     rol eax, 4
        push eax
        and al, 0x0f
        add al, '0'
        cmp al, '9'
        jbe .o
        add al, 'a' - '9' - 1
.o:     call putc
        pop eax
        loop .d
        ret

crlf:
        mov al, 13
        call putc
        mov al, 10
        jmp putc

print:
        lodsb
        or al, al
        jz .done
        call putc
        jmp print
.done:  ret

putc:                           ; AL to the screen (INT 10h) and to COM1, like console=ttyS0
        push ax
        push bx
        push dx
        push ax
        mov dx, 0x3fd
.wait:  in al, dx
        test al, 0x20
        jz .wait
        pop ax
        mov dx, 0x3f8
        out dx, al
        mov ah, 0x0e
        mov bx, 0x0007
        int 0x10
        pop dx
        pop bx
        pop ax
        ret

kernel_version: db "amiforge-tiny 1.0 (amiforge@nasm) #1", 0
msg_banner:   db "amiforge tiny kernel: real-mode setup running", 13, 10, "version: ", 0
msg_cmdline:  db "command line: ", '"', 0
msg_e820:     db "BIOS-provided physical RAM map:", 13, 10, 0
msg_mem:      db "BIOS-e820: [mem 0x", 0
msg_dash:     db "-0x", 0
msg_close:    db "] ", 0
msg_no_e820:  db "BIOS-e820: not supported", 13, 10, 0
msg_halt:     db "amiforge tiny kernel: halting", 13, 10, 0
t_usable:     db "usable", 0
t_reserved:   db "reserved", 0
t_acpi:       db "ACPI data", 0
t_nvs:        db "ACPI NVS", 0
t_unusable:   db "unusable", 0
entries:      dw 0
        align 4
e820buf:      times 24 db 0

        times (SETUP_SECTS + 1) * 512 - ($ - $$) db 0

; ---- protected-mode part (never entered in the simulator) ----
        bits 32
pm_entry:
        cli
.h:     hlt
        jmp .h
        db "amiforge tiny kernel protected-mode stub", 0
        times (SETUP_SECTS + 1) * 512 + PM_SIZE - ($ - $$) db 0
