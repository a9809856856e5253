package io.amiforge.cloud.bundle;

import java.io.IOException;
import java.io.OutputStream;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.ShortBufferException;

/**
 * Encrypts everything written with AES-128-CBC and PKCS#5 padding into {@code out}, exactly as
 * {@code openssl enc -aes-128-cbc -K KEY -iv IV} does; {@link #close()} writes the final padded
 * block and closes {@code out}. Reuses one output buffer (no allocation per write).
 */
final class AesCbcOutputStream extends OutputStream {

    private final OutputStream out;
    private final Cipher cipher;
    private byte[] buffer = new byte[256 * 1024];
    private boolean closed;

    AesCbcOutputStream(OutputStream out, byte[] key, byte[] iv) {
        this.out = out;
        this.cipher = BundleCrypto.aes(Cipher.ENCRYPT_MODE, key, iv);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int need = len + 32;
        if (buffer.length < need) {
            buffer = new byte[need];
        }
        try {
            int n = cipher.update(b, off, len, buffer, 0);
            out.write(buffer, 0, n);
        } catch (ShortBufferException e) {
            throw new IllegalStateException("AES output buffer sized len + 32 is always enough", e);
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int n = cipher.doFinal(buffer, 0);
            out.write(buffer, 0, n);
        } catch (ShortBufferException | IllegalBlockSizeException | BadPaddingException e) {
            throw new IllegalStateException("encryption with padding cannot fail", e);
        }
        out.close();
    }
}
