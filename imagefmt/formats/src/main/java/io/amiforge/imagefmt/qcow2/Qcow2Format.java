package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.NativeFile;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** qcow2 versions 2 and 3 (docs/interop/qcow2.txt): the SPI entry point. */
public final class Qcow2Format implements ImageFormat {

    public static final Qcow2Format INSTANCE = new Qcow2Format();

    /** For {@link java.util.ServiceLoader}; use {@link #INSTANCE}. */
    public Qcow2Format() {
    }

    @Override
    public String name() {
        return "qcow2";
    }

    @Override
    public boolean probe(MemorySegment header, long fileSize) {
        // The magic alone decides: a qcow (version 1) or future version then fails with a clear
        // message instead of silently opening as raw.
        return header.byteSize() >= 4
                && header.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0) == Qcow2Header.MAGIC;
    }

    @Override
    public BlockDevice open(Path path, boolean readOnly, BackingChain chain) {
        return open(path, readOnly, chain, Qcow2DataFile.NONE);
    }

    /** Opens {@code path} with its backing chain and the external data file {@code dataFile} names (null: none allowed). */
    @Override
    public BlockDevice open(Path path, boolean readOnly, BackingChain chain, Path dataFile) {
        return open(path, readOnly, chain, dataFile == null ? Qcow2DataFile.NONE : Qcow2DataFile.named(dataFile));
    }

    /**
     * Opens {@code path} with its backing chain; an external data file, if the image has one, is
     * the one {@code dataFile} allows (the generic open allows none, see {@link Qcow2DataFile}).
     */
    public BlockDevice open(Path path, boolean readOnly, BackingChain chain, Qcow2DataFile dataFile) {
        Qcow2Image top = Qcow2Image.open(path, readOnly, dataFile);
        BlockDevice backing = null;
        try {
            if (top.backingFile() != null) {
                backing = chain.openBacking(path, top.backingFile(), top.header().backingFormat);
            }
            return Qcow2Device.over(top, backing);
        } catch (RuntimeException e) {
            top.close();
            throw e;
        }
    }

    @Override
    public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
        long size = virtualSize;
        // The creator named the backing file: its directory is allowed when the new image is opened.
        Path backingDir = options.backingFile() == null ? null
                : BackingChain.resolve(path, options.backingFile()).toAbsolutePath().getParent();
        if (size < 0) {
            if (options.backingFile() == null) {
                throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                        path + ": a size is needed when there is no backing file");
            }
            Path backing = BackingChain.resolve(path, options.backingFile());
            size = ImageFormats.info(ImageSource.of(backing).withFormat(options.backingFormat())).virtualSize();
        }
        Qcow2Creator.create(path, size, options);
        // The creator named the data file too: the new image uses it.
        Qcow2DataFile dataFile = options.dataFile() == null ? Qcow2DataFile.NONE
                : Qcow2DataFile.named(BackingChain.resolve(path, options.dataFile()));
        return open(path, false, BackingChain.startingAt(path, BackingChain.DEFAULT_MAX_DEPTH,
                backingDir != null && Files.isDirectory(backingDir) ? backingDir : null), dataFile);
    }

    /** Grows or shrinks the file's virtual size (see {@code Qcow2Resize}); images with internal snapshots are refused. */
    @Override
    public void resize(Path path, long newSize) {
        Qcow2Resize.resize(path, newSize);
    }

    @Override
    public ImageInfo info(Path path) {
        Qcow2Header h;
        long length;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            Qcow2File file = new Qcow2File(path, channel);
            length = file.size();
            h = Qcow2Image.readHeader(file);
        } catch (NoSuchFileException e) {
            throw new ImageFormatException(Kind.NOT_FOUND, "FileNotFound", path + ": no such file");
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot read", e);
        }
        Map<String, Object> specific = new LinkedHashMap<>();
        specific.put("compat", h.version >= 3 ? "1.1" : "0.10");
        specific.put("refcountBits", h.refcountBits());
        specific.put("lazyRefcounts", (h.compatibleFeatures & Qcow2Header.COMPAT_LAZY_REFCOUNTS) != 0);
        specific.put("extendedL2", h.extendedL2());
        specific.put("compressionType", h.compressionType == 0 ? "zlib" : "zstd");
        specific.put("snapshots", Integer.toUnsignedLong(h.nbSnapshots));
        if (h.hasDataFile()) {
            specific.put("dataFile", h.dataFile);
            specific.put("dataFileRaw", h.dataFileRaw());
        }
        return new ImageInfo(path.toString(), name(), h.size & ~511L, NativeFile.allocatedBytes(path, length), h.clusterSize(),
                h.backingFile, h.backingFormat, List.of(), h.dirty(), h.corrupt(), specific);
    }
}
