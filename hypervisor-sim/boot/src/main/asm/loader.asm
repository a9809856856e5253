; amiforge HVM boot chain, stage 2: the loader (16 sectors at loaderLba, run at 0000:8000).
; Loads a Linux bzImage by the Linux x86 boot protocol (>= 2.02), reading the kernel and
; the initrd through sector extents (a LILO-style map the installer patches in):
;   real-mode setup (setup_sects + 1 sectors) -> 9000:0000
;   protected-mode part                       -> 0x100000 via INT 15h AH=87h
;   initrd (if any)                           -> below min(top of memory, initrd_addr_max)
;   command line                              -> 9000:E000 (cmd_line_ptr = 0x9E000)
; then sets type_of_loader, loadflags (CAN_USE_HEAP), heap_end_ptr, ramdisk_image/size,
; vid_mode, and jumps to the setup code at 9020:0000 with DS=ES=FS=GS=SS=9000, SP=E000.
;
; Layout (offsets in the loader image; AmiforgeBootChain patches the fields):
;   0x010 "AMIFLDR1"  0x018 kernel_size (dd)  0x01C initrd_size (dd)
;   0x020 kernel_extent_count (dw)  0x022 initrd_extent_count (dw)  0x024 cmdline_len (dw)
;   0x800 command line (max 2047 bytes + NUL)
;   0x1000 extents: kernel's then initrd's, 12 bytes each: lba (dq), sectors (dd)
; Assemble: nasm -f bin -o loader.bin loader.asm
        bits 16
        org 0x8000

SETUP_SEG     equ 0x9000
HEAP_END      equ 0xE000
CMDLINE_OFF   equ 0xE000
BOUNCE_SEG    equ 0x2000
CHUNK_SECTORS equ 64
LOADER_SIZE   equ 16 * 512

start:
        jmp main
        times 0x10 - ($ - $$) db 0
magic:          db "AMIFLDR1"
kernel_size:    dd 0
initrd_size:    dd 0
kernel_extents: dw 0
initrd_extents: dw 0
cmdline_len:    dw 0

main:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7c00
        sti
        cld
        mov [drive], dl
        mov si, msg_hello
        call print
        ; A20: BIOS first, then the fast gate
        mov ax, 0x2401
        int 0x15
        in al, 0x92
        or al, 2
        and al, 0xfe
        out 0x92, al

        ; ---- kernel: first sector, check the header ----
        mov word [ext_ptr], extents
        mov ax, [kernel_extents]
        mov [ext_left], ax
        mov dword [cur_left], 0
        mov word [dst_seg], SETUP_SEG
        mov cx, 1
        call read_sectors
        mov ax, SETUP_SEG
        mov fs, ax
        cmp word [fs:0x1fe], 0xaa55
        jne err_not_linux
        movzx cx, byte [fs:0x1f1]
        or cx, cx
        jnz .have_setup
        mov cx, 4
.have_setup:
        mov [setup_sects], cx
        mov word [dst_seg], SETUP_SEG + 0x20
        call read_sectors
        cmp dword [fs:0x202], 'HdrS'
        jne err_not_linux
        cmp word [fs:0x206], 0x0202
        jb err_old
        test byte [fs:0x211], 1
        jz err_not_bz

        ; ---- protected-mode part to 1 MiB ----
        mov si, msg_kernel
        call print
        movzx eax, word [setup_sects]
        inc eax
        shl eax, 9
        mov ebx, [kernel_size]
        sub ebx, eax
        jbe err_size
        add ebx, 511
        shr ebx, 9
        mov [high_left], ebx
        mov dword [high_dst], 0x100000
        call load_high

        ; ---- initrd ----
        mov eax, [initrd_size]
        or eax, eax
        jz .no_initrd
        mov si, msg_initrd
        call print
        call memory_top                 ; eax = top of usable memory
        mov ebx, 0x37ffffff
        cmp word [fs:0x206], 0x0203
        jb .have_max
        mov ebx, [fs:0x22c]
.have_max:
        inc ebx
        cmp eax, ebx
        jbe .top_ok
        mov eax, ebx
.top_ok:
        sub eax, [initrd_size]
        jb err_memory
        and eax, 0xfffff000
        cmp eax, [high_dst]
        jb err_memory
        mov [fs:0x218], eax
        mov ebx, [initrd_size]
        mov [fs:0x21c], ebx
        mov [high_dst], eax
        add ebx, 511
        shr ebx, 9
        mov [high_left], ebx
        movzx eax, word [kernel_extents]
        imul ax, ax, 12
        add ax, extents
        mov [ext_ptr], ax
        mov ax, [initrd_extents]
        mov [ext_left], ax
        mov dword [cur_left], 0
        call load_high
.no_initrd:

        ; ---- command line and header fields ----
        mov si, cmdline
        mov ax, SETUP_SEG
        mov es, ax
        mov di, CMDLINE_OFF
        mov cx, [cmdline_len]
        rep movsb
        xor al, al
        stosb
        mov dword [fs:0x228], SETUP_SEG * 16 + CMDLINE_OFF
        mov byte [fs:0x210], 0xff
        or byte [fs:0x211], 0x80
        and byte [fs:0x211], 0xdf
        mov word [fs:0x224], HEAP_END - 0x200
        mov word [fs:0x1fa], 0xffff
        mov si, msg_start
        call print

        cli
        mov ax, SETUP_SEG
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov sp, HEAP_END
        jmp SETUP_SEG + 0x20:0

; load_high: reads [high_left] sectors through the extent walker to linear [high_dst]
; in CHUNK_SECTORS pieces via the bounce buffer and INT 15h AH=87h.
load_high:
.loop:
        mov eax, [high_left]
        or eax, eax
        jz .done
        cmp eax, CHUNK_SECTORS
        jbe .n
        mov eax, CHUNK_SECTORS
.n:
        mov cx, ax
        mov [chunk], ax
        mov word [dst_seg], BOUNCE_SEG
        call read_sectors
        ; GDT for AH=87h: source = bounce buffer, destination = high_dst
        mov eax, BOUNCE_SEG * 16
        mov di, gdt_src
        call set_desc
        mov eax, [high_dst]
        mov di, gdt_dst
        call set_desc
        push ds
        pop es
        mov si, gdt
        movzx ecx, word [chunk]
        shl cx, 8                       ; words
        mov ah, 0x87
        int 0x15
        jc err_move
        movzx eax, word [chunk]
        sub [high_left], eax
        shl eax, 9
        add [high_dst], eax
        jmp .loop
.done:
        ret

set_desc:                               ; di = descriptor, eax = base
        mov word [di], 0xffff
        mov [di + 2], ax
        shr eax, 16
        mov [di + 4], al
        mov byte [di + 5], 0x93
        mov byte [di + 6], 0
        mov [di + 7], ah
        ret

; read_sectors: cx sectors from the extent walker to [dst_seg]:0, advancing dst_seg.
read_sectors:
.loop:
        or cx, cx
        jz .done
        cmp dword [cur_left], 0
        jne .have
        cmp word [ext_left], 0
        je err_extents
        mov bx, [ext_ptr]
        mov eax, [bx]
        mov [cur_lba], eax
        mov eax, [bx + 4]
        mov [cur_lba + 4], eax
        mov eax, [bx + 8]
        mov [cur_left], eax
        add word [ext_ptr], 12
        dec word [ext_left]
        jmp .loop
.have:
        movzx eax, cx
        cmp eax, [cur_left]
        jbe .n1
        mov eax, [cur_left]
.n1:
        cmp eax, 127
        jbe .n2
        mov eax, 127
.n2:
        mov [dap_count], ax
        mov bx, [dst_seg]
        mov [dap_seg], bx
        mov word [dap_off], 0
        mov ebx, [cur_lba]
        mov [dap_lba], ebx
        mov ebx, [cur_lba + 4]
        mov [dap_lba + 4], ebx
        push cx
        push eax
        mov si, dap
        mov ah, 0x42
        mov dl, [drive]
        int 0x13
        pop eax
        pop cx
        jc err_read
        add [cur_lba], eax
        adc dword [cur_lba + 4], 0
        sub [cur_left], eax
        sub cx, ax
        shl ax, 5
        add [dst_seg], ax
        jmp .loop
.done:
        ret

; memory_top: eax = end of usable memory above 1 MiB (E801, else 88h)
memory_top:
        mov ax, 0xe801
        xor bx, bx
        xor cx, cx
        xor dx, dx
        int 0x15
        jc .try88
        jcxz .use_ax
        mov ax, cx
        mov bx, dx
.use_ax:
        or bx, bx
        jz .below16
        movzx eax, bx
        shl eax, 16
        add eax, 0x1000000
        ret
.below16:
        movzx eax, ax
        shl eax, 10
        add eax, 0x100000
        ret
.try88:
        mov ah, 0x88
        int 0x15
        jc err_memory
        movzx eax, ax
        shl eax, 10
        add eax, 0x100000
        ret

err_not_linux:
        mov si, msg_not_linux
        jmp fail
err_old:
        mov si, msg_old
        jmp fail
err_not_bz:
        mov si, msg_not_bz
        jmp fail
err_size:
        mov si, msg_size
        jmp fail
err_extents:
        mov si, msg_extents
        jmp fail
err_read:
        mov si, msg_read
        jmp fail
err_move:
        mov si, msg_move
        jmp fail
err_memory:
        mov si, msg_memory
fail:
        xor ax, ax
        mov ds, ax
        push si
        mov si, msg_error
        call print
        pop si
        call print
.halt:
        cli
        hlt
        jmp .halt

; every message goes to the screen (INT 10h teletype) and to COM1, as a serial console shows it
print:
        lodsb
        or al, al
        jz .done
        call serial_putc
        mov ah, 0x0e
        mov bx, 0x0007
        int 0x10
        jmp print
.done:
        ret

serial_putc:                    ; AL to COM1 once its transmitter holding register is empty
        push dx
        push ax
        mov dx, 0x3fd
.wait:  in al, dx
        test al, 0x20
        jz .wait
        pop ax
        mov dx, 0x3f8
        out dx, al
        pop dx
        ret

msg_hello:     db "amiforge loader", 13, 10, 0
msg_kernel:    db "Loading kernel", 13, 10, 0
msg_initrd:    db "Loading initrd", 13, 10, 0
msg_start:     db "Starting kernel", 13, 10, 0
msg_error:     db "amiforge loader: ", 0
msg_not_linux: db "the kernel has no Linux setup header (HdrS)", 13, 10, 0
msg_old:       db "the kernel's boot protocol is older than 2.02", 13, 10, 0
msg_not_bz:    db "the kernel is not a bzImage (LOADED_HIGH clear)", 13, 10, 0
msg_size:      db "the kernel is smaller than its setup sectors", 13, 10, 0
msg_extents:   db "the sector map ends before the file", 13, 10, 0
msg_read:      db "disk read error", 13, 10, 0
msg_move:      db "INT 15h AH=87h block move failed", 13, 10, 0
msg_memory:    db "not enough memory for the initrd", 13, 10, 0

        align 4
dap:       db 0x10, 0
dap_count: dw 0
dap_off:   dw 0
dap_seg:   dw 0
dap_lba:   dq 0
drive:     db 0x80
        align 4
setup_sects: dw 0
chunk:       dw 0
dst_seg:     dw 0
ext_ptr:     dw 0
ext_left:    dw 0
        align 4
cur_lba:     dq 0
cur_left:    dd 0
high_left:   dd 0
high_dst:    dd 0
        align 8
gdt:         times 16 db 0
gdt_src:     times 8 db 0
gdt_dst:     times 8 db 0
             times 16 db 0

        times 0x800 - ($ - $$) db 0
cmdline:
        times 0x1000 - ($ - $$) db 0
extents:
        times LOADER_SIZE - ($ - $$) db 0
