package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.StopReason;

/**
 * The I/O ports of the PC around the CPU: COM1 (through {@link Int14Serial}), the A20 gate and
 * reset (port 92h and the 8042 at 60h/64h: command D1h, DDh/DFh, FEh), POST codes (80h), the
 * {@link Pit} (40h-43h) with port 61h (bit 0 channel 2's gate, bit 4 the refresh toggle, bit 5
 * channel 2's output), the {@link Pic} pair (20h/21h, A0h/A1h), the {@link Rtc} and CMOS
 * (70h/71h), and the VGA retrace toggle (3DAh). Other ports read as open bus (all ones) and
 * ignore writes. A reset stops the run as {@code failed}.
 */
final class IoPorts {

    /** What an unconnected port reads as. */
    static final int OPEN_BUS = 0xFFFFFFFF;
    private static final int KBC_DATA = 0x60, PORT_B = 0x61, KBC_COMMAND = 0x64;
    private static final int SYSTEM_CONTROL = 0x92, POST = 0x80;
    private static final int PIT_FIRST = 0x40, PIT_LAST = 0x43;
    private static final int PIC_MASTER = 0x20, PIC_MASTER_DATA = 0x21, PIC_SLAVE = 0xA0, PIC_SLAVE_DATA = 0xA1;
    private static final int CMOS_INDEX = 0x70, CMOS_DATA = 0x71;
    private static final int VGA_STATUS = 0x3DA;
    private static final int WRITE_OUTPUT_PORT = 0xD1, A20_OFF = 0xDD, A20_ON = 0xDF, PULSE_RESET = 0xFE;

    private final PortState state;
    private final Int14Serial serial;
    private final Pit pit;
    private final Pic pic;
    private final Rtc rtc;

    IoPorts(PortState state, Int14Serial serial, Pit pit, Pic pic, Rtc rtc) {
        this.state = state;
        this.serial = serial;
        this.pit = pit;
        this.pic = pic;
        this.rtc = rtc;
    }

    int in(Cpu cpu, int port, int size) {
        long now = cpu.instructions();
        int v = Int14Serial.owns(port) ? serial.in(port) : switch (port) {
            case SYSTEM_CONTROL -> cpu.a20() ? 0x02 : 0x00;
            case KBC_COMMAND -> 0x1C; // status: input buffer empty, self-test passed
            case KBC_DATA -> 0;
            case PORT_B -> {
                state.portB ^= 0x10;
                yield (state.portB & 0x1F) | (pit.output2(now) ? 0x20 : 0);
            }
            case PIC_MASTER, PIC_MASTER_DATA, PIC_SLAVE, PIC_SLAVE_DATA -> pic.read(port);
            case CMOS_DATA -> rtc.read(now);
            case VGA_STATUS -> (int) (now & 0x09);
            case PIT_FIRST, PIT_FIRST + 1, PIT_FIRST + 2, PIT_LAST -> pit.read(port, now);
            default -> OPEN_BUS;
        };
        return size == 1 ? v & 0xFF : size == 2 ? v & 0xFFFF : v;
    }

    void out(Cpu cpu, int port, int value) {
        if (Int14Serial.owns(port)) {
            serial.out(port, value);
            return;
        }
        long now = cpu.instructions();
        switch (port) {
            case POST -> state.postCode(value);
            case SYSTEM_CONTROL -> {
                cpu.setA20((value & 2) != 0);
                if ((value & 1) != 0) {
                    cpu.stop(StopReason.FAILED, "the guest reset the machine through port 92h");
                }
            }
            case KBC_COMMAND -> {
                int command = value & 0xFF;
                state.keyboardControllerCommand = command;
                if (command == PULSE_RESET) {
                    cpu.stop(StopReason.FAILED, "the guest reset the machine through the keyboard controller");
                } else if (command == A20_OFF || command == A20_ON) {
                    cpu.setA20(command == A20_ON);
                }
            }
            case KBC_DATA -> {
                if (state.keyboardControllerCommand == WRITE_OUTPUT_PORT) {
                    cpu.setA20((value & 2) != 0);
                }
                state.keyboardControllerCommand = 0;
            }
            case PORT_B -> {
                state.portB = (state.portB & 0x10) | (value & 0x0F);
                pit.setGate2((value & 1) != 0, now);
            }
            case PIT_FIRST, PIT_FIRST + 1, PIT_FIRST + 2, PIT_LAST -> pit.write(port, value, now);
            case PIC_MASTER, PIC_MASTER_DATA, PIC_SLAVE, PIC_SLAVE_DATA -> pic.write(port, value);
            case CMOS_INDEX -> rtc.selectIndex(value);
            case CMOS_DATA -> rtc.write(value);
            default -> { }
        }
    }
}
