package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The registry of image formats and the entry point for opening images: the format of a file
 * is the one the caller names ({@link ImageSource#format()}) or else decided by its content,
 * never by its name, and {@link #open(ImageSource, boolean)} follows the whole backing chain
 * under {@link BackingChain}'s rule.
 */
public final class ImageFormats {

    /** Bytes read from the start of a file to probe its format. */
    public static final int PROBE_BYTES = 4096;

    /** Probe order: formats with a signature first, by name, then those that accept anything (raw). */
    private static final Comparator<ImageFormat> PROBE_ORDER =
            Comparator.comparing(ImageFormat::acceptsAnything).thenComparing(ImageFormat::name);

    /**
     * Every format on the module or class path (built-in and plug-in), then those added with
     * {@link #register(ClassLoader)}, in probe order; replaced whole, never mutated.
     */
    private static volatile List<ImageFormat> formats = discover(ImageFormat.class.getClassLoader(), List.of());

    private ImageFormats() {
    }

    /** Every registered format, in probe order. */
    public static List<ImageFormat> all() {
        return formats;
    }

    /**
     * Registers the formats {@code loader} finds with {@link ServiceLoader} that are not
     * registered yet (those its parents already give are skipped): how plug-in jars loaded in
     * their own class loader add formats. A format whose name is taken fails the whole call.
     *
     * @return the formats added
     */
    public static synchronized List<ImageFormat> register(ClassLoader loader) {
        List<ImageFormat> current = formats;
        List<ImageFormat> added = new ArrayList<>();
        for (ImageFormat format : discover(loader, current)) {
            for (List<ImageFormat> list : List.of(current, added)) {
                for (ImageFormat other : list) {
                    if (other.name().equalsIgnoreCase(format.name())) {
                        throw new ImageFormatException(Kind.INVALID_INPUT, "InvalidPlugin", "image format '" + format.name()
                                + "' of " + format.getClass().getName() + " is already provided by " + other.getClass().getName());
                    }
                }
            }
            added.add(format);
        }
        if (!added.isEmpty()) {
            List<ImageFormat> next = new ArrayList<>(current);
            next.addAll(added);
            formats = next.stream().sorted(PROBE_ORDER).toList();
        }
        return added;
    }

    /** The formats {@code loader} finds, without those whose class is in {@code known}, in probe order. */
    private static List<ImageFormat> discover(ClassLoader loader, List<ImageFormat> known) {
        try {
            return ServiceLoader.load(ImageFormat.class, loader).stream()
                    .filter(p -> known.stream().noneMatch(f -> f.getClass() == p.type()))
                    .map(ServiceLoader.Provider::get)
                    .sorted(PROBE_ORDER)
                    .toList();
        } catch (ServiceConfigurationError e) {
            throw new ImageFormatException(Kind.INVALID_INPUT, "InvalidPlugin", "cannot load an image format from "
                    + (loader.getName() != null ? loader.getName() : loader.toString()) + ": " + e.getMessage(), e);
        }
    }

    /** The format called {@code name} (case-insensitive). */
    public static ImageFormat byName(String name) {
        for (ImageFormat format : formats) {
            if (format.name().equalsIgnoreCase(name)) {
                return format;
            }
        }
        throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                "unknown image format '" + name + "' (supported: " + names() + ")");
    }

    private static String names() {
        List<String> names = new ArrayList<>();
        formats.forEach(f -> names.add(f.name()));
        return String.join(", ", names);
    }

    /** The format of {@code path}, decided by its first bytes. */
    public static ImageFormat probe(Path path) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer header = ByteBuffer.allocate((int) Math.min(PROBE_BYTES, size));
            while (header.hasRemaining() && channel.read(header, header.position()) > 0) {
                // read until full or EOF
            }
            MemorySegment bytes = MemorySegment.ofArray(header.array()).asSlice(0, header.position());
            for (ImageFormat format : formats) {
                if (format.probe(bytes, size)) {
                    return format;
                }
            }
            throw ImageFormatException.corrupt(path.toString(), "no image format recognises this file");
        } catch (NoSuchFileException e) {
            throw notFound(path);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(path.toString(), "cannot read to probe the format", e);
        }
    }

    /** Opens {@code path} in the format its content shows, with its backing chain (default depth cap). */
    public static BlockDevice open(Path path, boolean readOnly) {
        return open(ImageSource.of(path), readOnly);
    }

    /** Opens {@code path} with its backing chain, allowing at most {@code maxChainDepth} backing layers. */
    public static BlockDevice open(Path path, boolean readOnly, int maxChainDepth) {
        return open(ImageSource.of(path).withMaxChainDepth(maxChainDepth), readOnly);
    }

    /** Opens {@code source} with its backing chain, in its named format or the one its content shows. */
    public static BlockDevice open(ImageSource source, boolean readOnly) {
        requireExists(source.file());
        return formatOf(source).open(source.file(), readOnly, source.chain(), source.dataFile());
    }

    /** The format {@code source} names, or, when it names none, the one its content shows. */
    public static ImageFormat formatOf(ImageSource source) {
        return source.format() == null ? probe(source.file()) : byName(source.format());
    }

    /** Creates {@code path} in {@code format} and returns it opened read-write. */
    public static BlockDevice create(Path path, String format, long virtualSize, CreateOptions options) {
        return byName(format.toLowerCase(Locale.ROOT)).create(path, virtualSize, options);
    }

    /**
     * Describes {@code path} and, in {@link ImageInfo#backingChain()}, every image of its backing
     * chain, top first (like {@code qemu-img info --backing-chain}).
     */
    public static ImageInfo info(Path path) {
        return info(ImageSource.of(path));
    }

    /** {@link #info(Path)} with an explicit cap on chain depth. */
    public static ImageInfo info(Path path, int maxChainDepth) {
        return info(ImageSource.of(path).withMaxChainDepth(maxChainDepth));
    }

    /**
     * Describes {@code source} and every image of its backing chain, top first; each entry's
     * {@link ImageInfo#file()} is the file that was read (for backing files, its real path).
     */
    public static ImageInfo info(ImageSource source) {
        Path path = source.file();
        requireExists(path);
        BackingChain chain = source.chain();
        List<ImageInfo> layers = new ArrayList<>();
        Path current = path;
        ImageInfo info = formatOf(source).info(current);
        layers.add(info);
        while (info.backingFile() != null) {
            Path next = chain.enter(current, info.backingFile());
            ImageFormat format = info.backingFormat() == null ? probe(next) : byName(info.backingFormat());
            current = next;
            info = format.info(current);
            layers.add(info);
        }
        return layers.get(0).withBackingChain(layers);
    }

    /**
     * Resizes the image {@code source} names to {@code newSize} bytes, as {@code qemu-img
     * resize}: a grown range reads as zeros even where a backing file is longer than the old
     * size (it is discarded through the chain after the resize), a shrink drops what lies past
     * the new end. The caller decides whether shrinking is allowed.
     */
    public static void resize(ImageSource source, long newSize) {
        requireExists(source.file());
        ImageFormat format = formatOf(source);
        ImageInfo before = format.info(source.file());
        format.resize(source.file(), newSize);
        if (before.backingFile() != null && newSize > before.virtualSize()) {
            try (BlockDevice device = open(source, false)) {
                long from = Math.min(before.virtualSize(), device.size());
                device.discard(from, device.size() - from);
                device.flush();
            }
        }
    }

    /** The files of {@code path}'s backing chain, top first, base last. */
    public static List<Path> chainFiles(Path path) {
        return chainFiles(ImageSource.of(path));
    }

    /** The files of {@code source}'s backing chain, top first, base last. */
    public static List<Path> chainFiles(ImageSource source) {
        List<Path> files = new ArrayList<>();
        for (ImageInfo layer : info(source).backingChain()) {
            files.add(Path.of(layer.file()));
        }
        return files;
    }

    private static void requireExists(Path path) {
        if (!Files.exists(path)) {
            throw notFound(path);
        }
    }

    private static ImageFormatException notFound(Path path) {
        return new ImageFormatException(Kind.NOT_FOUND, "FileNotFound", path + ": no such file");
    }
}
