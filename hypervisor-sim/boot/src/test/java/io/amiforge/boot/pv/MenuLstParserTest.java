package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MenuLstParserTest {

    @Test
    void parsesAmazonLinuxStyleMenu() {
        String text = """
                # created by imagebuilder
                default=0
                timeout=1
                hiddenmenu

                title Amazon Linux 2 (4.14.336-257.562.amzn2.x86_64)
                root (hd0,0)
                kernel /boot/vmlinuz-4.14.336 root=LABEL=/ console=tty1 console=ttyS0 xen_pv_hvm=enable
                initrd /boot/initramfs-4.14.336.img
                """;
        MenuLst m = MenuLstParser.parse(text);
        assertThat(m.defaultEntry()).isZero();
        assertThat(m.timeout()).isEqualTo(1);
        assertThat(m.hiddenMenu()).isTrue();
        assertThat(m.diagnostics()).isEmpty();
        assertThat(m.entries()).hasSize(1);
        MenuLst.Entry e = m.entries().getFirst();
        assertThat(e.title()).isEqualTo("Amazon Linux 2 (4.14.336-257.562.amzn2.x86_64)");
        assertThat(e.line()).isEqualTo(6);
        assertThat(e.root()).isEqualTo(new RootDevice(0, 0));
        assertThat(e.kernel().path()).isEqualTo("/boot/vmlinuz-4.14.336");
        assertThat(e.kernel().args()).isEqualTo("root=LABEL=/ console=tty1 console=ttyS0 xen_pv_hvm=enable");
        assertThat(e.kernel().line()).isEqualTo(8);
        assertThat(e.initrd().path()).isEqualTo("/boot/initramfs-4.14.336.img");
    }

    @Test
    void separatorsLeadingBlanksSavedFallbackListAndUnknownCommands() {
        String text = "  default   saved\r\n"
                + "\tfallback = 1 2\n"
                + "timeout 5\n"
                + "frobnicate yes\n"
                + "color black/white\n"
                + "title=First\n"
                + "   root=(hd0)\n"
                + "   kernel --type=linux (hd0)/vmlinuz ro quiet\n"
                + "   savedefault\n"
                + "   wibble 3\n"
                + "title Second\n"
                + "   root (hd0,1)\n"
                + "   kernel /boot/vmlinuz\n"
                + "title Third\n"
                + "   chainloader +1\n";
        MenuLst m = MenuLstParser.parse(text);
        assertThat(m.defaultSaved()).isTrue();
        assertThat(m.fallback()).containsExactly(1, 2);
        assertThat(m.timeout()).isEqualTo(5);
        assertThat(m.diagnostics()).extracting(MenuLst.Diagnostic::line).containsExactly(4, 10);
        assertThat(m.diagnostics().getFirst().message()).contains("frobnicate");
        assertThat(m.entries()).hasSize(3);
        MenuLst.Entry first = m.entries().get(0);
        assertThat(first.title()).isEqualTo("First");
        assertThat(first.root()).isEqualTo(new RootDevice(0, RootDevice.WHOLE_DISK));
        assertThat(first.kernel().device()).isEqualTo(new RootDevice(0, RootDevice.WHOLE_DISK));
        assertThat(first.kernel().path()).isEqualTo("/vmlinuz");
        assertThat(first.kernel().args()).isEqualTo("ro quiet");
        assertThat(first.saveDefault()).isTrue();
        assertThat(m.entries().get(1).root()).isEqualTo(new RootDevice(0, 1));
        assertThat(m.entries().get(2).problems()).singleElement()
                .satisfies(d -> assertThat(d.line()).isEqualTo(15))
                .satisfies(d -> assertThat(d.message()).contains("chainloader"));
    }

    @Test
    void badValuesAreDiagnosedNotThrown() {
        MenuLst m = MenuLstParser.parse("default x\ntimeout -1\nfallback a 3\ntitle t\nroot hd0\nkernel\ninitrd relative/path\n");
        assertThat(m.defaultEntry()).isZero();
        assertThat(m.fallback()).containsExactly(3);
        assertThat(m.diagnostics()).extracting(MenuLst.Diagnostic::line).containsExactly(1, 2, 3);
        MenuLst.Entry e = m.entries().getFirst();
        assertThat(e.root()).isNull();
        assertThat(e.kernel()).isNull();
        assertThat(e.problems()).extracting(MenuLst.Diagnostic::line).containsExactly(5, 6, 7);
    }

    @Test
    void emptyTextHasNoEntries() {
        assertThat(MenuLstParser.parse("").entries()).isEmpty();
        assertThat(MenuLstParser.parse("# only a comment\n\n   \n").entries()).isEmpty();
    }

    @Test
    void rootDeviceNames() {
        assertThat(RootDevice.parse("(hd0)")).isEqualTo(new RootDevice(0, -1));
        assertThat(RootDevice.parse("(hd0,0)")).isEqualTo(new RootDevice(0, 0));
        assertThat(RootDevice.parse("(hd1, 2) trailing")).isEqualTo(new RootDevice(1, 2));
        assertThat(RootDevice.parse("(fd0)")).isNull();
        assertThat(RootDevice.parse("hd0")).isNull();
        assertThat(RootDevice.parse("(hd0,a)")).isNull();
        assertThat(RootDevice.parse("(hd0,0,a)")).isNull();
        assertThat(new RootDevice(0, 0).toString()).isEqualTo("(hd0,0)");
    }
}
