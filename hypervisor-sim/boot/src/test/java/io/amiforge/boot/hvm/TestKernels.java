package io.amiforge.boot.hvm;

import java.nio.charset.StandardCharsets;

/** Kernels for boot tests made from {@link TinyKernel}: one with another version string, one with a broken header. */
final class TestKernels {

    private TestKernels() {
    }

    /** The tiny kernel with {@code version} over its own version string: HvmBoot does not follow it, so the boot stops at the hand-off. */
    static byte[] foreign(String version) {
        byte[] kernel = TinyKernel.bzImage();
        int at = indexOf(kernel, TinyKernel.VERSION_PREFIX.getBytes(StandardCharsets.US_ASCII));
        byte[] other = version.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(other, 0, kernel, at, other.length);
        return kernel;
    }

    /** The tiny kernel without its boot-sector signature (offset 0x1FE) and with "XdrS" for "HdrS" at 0x202. */
    static byte[] badHeader() {
        byte[] kernel = TinyKernel.bzImage();
        kernel[0x1FE] = 0;
        kernel[0x202] = 'X';
        return kernel;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
