package io.amiforge.blockdev;

import java.nio.channels.FileChannel;

/**
 * Implemented by devices whose bytes are, unchanged, a run of one file: device byte {@code o}
 * is byte {@code backingOffset() + o} of {@link #backingFile()}. A server may then send reads
 * straight from the file (sendfile: page cache to socket, no copy through a buffer) instead of
 * calling {@link BlockDevice#read}.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Every write that returned is in the file (written with {@code pwrite}, not held in a
 *       buffer of the device's own), so a later read of the file sees it.</li>
 *   <li>The channel belongs to the device: callers never close it; it is closed when the device
 *       is ({@link BlockDeviceException.Closed} from this method afterwards).</li>
 *   <li>Holes in the file read as zeros, as {@link BlockDevice#read} returns them; bytes past the
 *       file's end (a file shrunk under the device) cannot be read from it.</li>
 * </ul>
 */
public interface FileBacked {

    /** The open file holding this device's bytes; never closed by the caller. */
    FileChannel backingFile();

    /** The file offset of device byte 0. */
    default long backingOffset() {
        return 0;
    }
}
