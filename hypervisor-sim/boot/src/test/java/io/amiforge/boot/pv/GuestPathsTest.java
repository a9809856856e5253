package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GuestPathsTest {

    @Test
    void followsRelativeAbsoluteAndDirectoryLinks() {
        InMemoryGuestFileSystem fs = new InMemoryGuestFileSystem()
                .file("/boot/grub/grub.conf", "x")
                .symlink("/boot/grub/menu.lst", "grub.conf")
                .symlink("/vmlinuz", "boot/vmlinuz-6.1")
                .file("/boot/vmlinuz-6.1", "k")
                .symlink("/b", "/boot")
                .symlink("/boot/up", "../boot/./grub");
        assertThat(GuestPaths.resolve(fs, "/boot/grub/menu.lst").path()).isEqualTo("/boot/grub/grub.conf");
        assertThat(GuestPaths.resolve(fs, "/boot/grub/menu.lst").links()).containsExactly("/boot/grub/menu.lst -> grub.conf");
        assertThat(GuestPaths.resolve(fs, "/vmlinuz").path()).isEqualTo("/boot/vmlinuz-6.1");
        assertThat(GuestPaths.resolve(fs, "/b/up/menu.lst").path()).isEqualTo("/boot/grub/grub.conf");
        assertThat(GuestPaths.resolve(fs, "/b/up/menu.lst").type()).isEqualTo(GuestFileSystem.FileType.REGULAR);
    }

    @Test
    void loopsMissingFilesAndFileAsDirectoryAreClearErrors() {
        InMemoryGuestFileSystem fs = new InMemoryGuestFileSystem()
                .symlink("/boot/grub/menu.lst", "grub.conf")
                .symlink("/boot/grub/grub.conf", "menu.lst")
                .file("/boot/file", "x");
        assertThatThrownBy(() -> GuestPaths.resolve(fs, "/boot/grub/menu.lst"))
                .isInstanceOfSatisfying(PvBootException.class, e -> assertThat(e.code()).isEqualTo("SymlinkLoop"))
                .hasMessageContaining("too many levels of symbolic links");
        assertThatThrownBy(() -> GuestPaths.resolve(fs, "/boot/missing"))
                .isInstanceOfSatisfying(PvBootException.class, e -> assertThat(e.code()).isEqualTo("FileNotFound"))
                .hasMessageContaining("'/boot/missing' does not exist");
        assertThatThrownBy(() -> GuestPaths.resolve(fs, "/boot/file/x"))
                .isInstanceOfSatisfying(PvBootException.class, e -> assertThat(e.code()).isEqualTo("NotADirectory"));
    }
}
