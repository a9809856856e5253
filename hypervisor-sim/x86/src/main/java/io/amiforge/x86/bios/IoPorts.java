package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.StopReason;

/**
 * The I/O ports of the PC around the CPU: COM1 (through {@link Int14Serial}), the A20 gate and
 * reset (port 92h and the 8042 at 60h/64h: command D1h, DDh/DFh, FEh), POST codes (80h), port
 * 61h's refresh toggle, the PIT counter (40h, following the instruction count), the PIC masks,
 * the CMOS status registers, and the VGA retrace toggle (3DAh). Other ports read as open bus
 * (all ones) and ignore writes. A reset stops the run as {@code failed}.
 */
final class IoPorts {

    /** What an unconnected port reads as. */
    static final int OPEN_BUS = 0xFFFFFFFF;
    private static final int KBC_DATA = 0x60, PORT_B = 0x61, KBC_COMMAND = 0x64;
    private static final int SYSTEM_CONTROL = 0x92, POST = 0x80, PIT_COUNTER_0 = 0x40;
    private static final int PIC_MASTER = 0x21, PIC_SLAVE = 0xA1, CMOS_INDEX = 0x70, CMOS_DATA = 0x71;
    private static final int VGA_STATUS = 0x3DA;
    private static final int WRITE_OUTPUT_PORT = 0xD1, A20_OFF = 0xDD, A20_ON = 0xDF, PULSE_RESET = 0xFE;

    private final PortState state;
    private final Int14Serial serial;

    IoPorts(PortState state, Int14Serial serial) {
        this.state = state;
        this.serial = serial;
    }

    int in(Cpu cpu, int port, int size) {
        int v = Int14Serial.owns(port) ? serial.in(port) : switch (port) {
            case SYSTEM_CONTROL -> cpu.a20() ? 0x02 : 0x00;
            case KBC_COMMAND -> 0x1C; // status: input buffer empty, self-test passed
            case KBC_DATA -> 0;
            case PORT_B -> state.portB ^= 0x10;
            case PIC_MASTER -> state.picMaster;
            case PIC_SLAVE -> state.picSlave;
            case CMOS_DATA -> cmos(state.cmosIndex);
            case VGA_STATUS -> (int) (cpu.instructions() & 0x09);
            case PIT_COUNTER_0 -> (int) -cpu.instructions() & 0xFF;
            default -> OPEN_BUS;
        };
        return size == 1 ? v & 0xFF : size == 2 ? v & 0xFFFF : v;
    }

    void out(Cpu cpu, int port, int value) {
        if (Int14Serial.owns(port)) {
            serial.out(port, value);
            return;
        }
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
            case PIC_MASTER -> state.picMaster = value & 0xFF;
            case PIC_SLAVE -> state.picSlave = value & 0xFF;
            case CMOS_INDEX -> state.cmosIndex = value & 0xFF;
            default -> { }
        }
    }

    // status registers A-D as a running RTC leaves them, and a 20xx century byte
    private static int cmos(int index) {
        return switch (index & 0x7F) {
            case 0x0A -> 0x26;
            case 0x0B -> 0x02;
            case 0x0D -> 0x80;
            case 0x32 -> 0x20;
            default -> 0;
        };
    }
}
