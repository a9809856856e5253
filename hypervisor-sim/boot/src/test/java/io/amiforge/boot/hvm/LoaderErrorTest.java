package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.x86.bios.Screen;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The loaders' own error lines, as they leave them on the screen. */
class LoaderErrorTest {

    @Test
    void grubErrorAfterTheEntryItWasBooting() {
        Screen s = Screen.ofText(List.of("  Booting `debian'", "", "error: file `/boot/vmlinuz' not found.", "",
                "Press any key to continue..."));
        assertThat(LoaderError.find(s)).isEqualTo("Booting `debian' / error: file `/boot/vmlinuz' not found.");
    }

    @Test
    void syslinuxErrorsNameTheFiles() {
        assertThat(LoaderError.find(Screen.ofText(List.of("boot:", "Loading /missing... failed: No such file or directory",
                "boot:")))).isEqualTo("Loading /missing... failed: No such file or directory");
        assertThat(LoaderError.find(Screen.ofText(List.of("boot:", "Loading /vmlinuz... ok", "Booting kernel failed: Invalid argument",
                "boot:")))).isEqualTo("Loading /vmlinuz... ok / Booting kernel failed: Invalid argument");
    }

    @Test
    void aScreenWithoutALoaderErrorHasNone() {
        assertThat(LoaderError.find(Screen.ofText(List.of("GRUB loading.", "Welcome to GRUB!", "  Booting `x'")))).isNull();
        assertThat(LoaderError.find(Screen.ofText(List.of("Loading /vmlinuz... ok", "my error: not at the start")))).isNull();
    }
}
