package io.amiforge.x86.bios;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.x86.cpu.Cpu;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** INT 10h output lands in the VGA text buffer (not on COM1), and the screen is read from guest memory. */
class VgaScreenTest {

    private static void teletype(Machine m, String text) {
        for (char ch : text.toCharArray()) {
            m.cpu.setReg16(Cpu.EAX, 0x0E00 | ch);
            m.call(0x10);
        }
    }

    @Test
    void postLeavesABlankGreyOnBlackScreen() {
        Machine m = new Machine(8);
        Screen s = m.bios.screen();
        assertThat(s.rows()).hasSize(25).allMatch(String::isEmpty);
        assertThat(s.attribute(24, 79)).isEqualTo(0x07);
        assertThat(s.character(0, 0)).isEqualTo(' ');
    }

    @Test
    void teletypeScrollsAtTheBottomAndKeepsRowsInOrder() {
        Machine m = new Machine(8);
        for (int i = 0; i < 30; i++) {
            teletype(m, "line " + i + "\r\n");
        }
        List<String> rows = m.bios.screen().rows();
        assertThat(rows.get(0)).isEqualTo("line 6");
        assertThat(rows.get(23)).isEqualTo("line 29");
        assertThat(rows.get(24)).isEmpty();
        assertThat(m.bios.dataArea().cursor(0)).isEqualTo(24 << 8);
    }

    @Test
    void longLinesWrapAndBackspaceMovesLeft() {
        Machine m = new Machine(8);
        teletype(m, "x".repeat(85) + "\b\bY");
        List<String> rows = m.bios.screen().rows();
        assertThat(rows.get(0)).isEqualTo("x".repeat(80));
        assertThat(rows.get(1)).isEqualTo("xxxYx");
    }

    @Test
    void directWritesTo0xB8000AreOnTheScreenWithTheirAttributes() {
        Machine m = new Machine(8);
        // mov ax,0xB800; mov es,ax; mov word [es:160],0x1F41 ('A' white on blue at row 1); hlt
        m.run(0xB8, 0x00, 0xB8, 0x8E, 0xC0, 0x26, 0xC7, 0x06, 0xA0, 0x00, 0x41, 0x1F, 0xFA, 0xF4);
        Screen s = m.bios.screen();
        assertThat(s.rows().get(1)).isEqualTo("A");
        assertThat(s.attribute(1, 0)).isEqualTo(0x1F);
        assertThat(m.console.text()).isEmpty();
    }

    @Test
    void writeCharacterWithAttributeAndWriteStringAndScroll() {
        Machine m = new Machine(8);
        m.cpu.setReg16(Cpu.EAX, 0x0200);
        m.cpu.setReg16(Cpu.EBX, 0);
        m.cpu.setReg16(Cpu.EDX, 0x0203); // row 2, column 3
        m.call(0x10);
        m.cpu.setReg16(Cpu.EAX, 0x09C4); // '─' x 4 in yellow on red
        m.cpu.setReg16(Cpu.EBX, 0x004E);
        m.cpu.setReg16(Cpu.ECX, 4);
        m.call(0x10);
        assertThat(m.bios.screen().rows().get(2)).isEqualTo("   ────");
        assertThat(m.bios.screen().attribute(2, 6)).isEqualTo(0x4E);
        assertThat(m.bios.dataArea().cursor(0)).as("AH=09h leaves the cursor").isEqualTo(0x0203);
        m.cpu.setReg16(Cpu.EAX, 0x0800);
        m.call(0x10);
        assertThat(m.cpu.reg16(Cpu.EAX)).isEqualTo(0x4EC4);

        m.mem.load(0x600, "GRUB".getBytes(), 0, 4);
        m.cpu.setSeg(Cpu.ES, 0);
        m.cpu.setReg16(Cpu.EBP, 0x600);
        m.cpu.setReg16(Cpu.EAX, 0x1301); // cursor follows
        m.cpu.setReg16(Cpu.EBX, 0x0070);
        m.cpu.setReg16(Cpu.ECX, 4);
        m.cpu.setReg16(Cpu.EDX, 0x0A00);
        m.call(0x10);
        assertThat(m.bios.screen().rows().get(10)).isEqualTo("GRUB");
        assertThat(m.bios.screen().attribute(10, 0)).isEqualTo(0x70);
        assertThat(m.bios.dataArea().cursor(0)).isEqualTo(0x0A04);

        m.cpu.setReg16(Cpu.EAX, 0x0603); // scroll the whole screen up 3 lines
        m.cpu.setReg16(Cpu.EBX, 0x1700);
        m.cpu.setReg16(Cpu.ECX, 0x0000);
        m.cpu.setReg16(Cpu.EDX, 0x184F);
        m.call(0x10);
        assertThat(m.bios.screen().rows().get(7)).isEqualTo("GRUB");
        assertThat(m.bios.screen().attribute(24, 0)).isEqualTo(0x17);

        m.cpu.setReg16(Cpu.EAX, 0x0003); // mode set clears
        m.call(0x10);
        assertThat(m.bios.screen().rows()).isEqualTo(Collections.nCopies(25, ""));
    }

    @Test
    void textScreensAreBuiltAndCompared() {
        Screen s = Screen.ofText(List.of("hello", "", "world"));
        assertThat(s.text()).isEqualTo("hello\n\nworld");
        assertThat(s).isEqualTo(Screen.ofText(List.of("hello", "", "world"))).isNotEqualTo(Screen.ofText(List.of("x")));
        assertThat(Screen.glyph(0xDB)).isEqualTo('█');
        assertThat(Screen.glyph(0x00)).isEqualTo(' ');
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Screen.ofText(Collections.nCopies(26, "")))
                .hasMessageContaining("25 rows");
    }
}
