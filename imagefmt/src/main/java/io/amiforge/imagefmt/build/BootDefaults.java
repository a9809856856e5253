package io.amiforge.imagefmt.build;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The static hook through which the project's own guest kernels, initrds and HVM boot code reach
 * the {@link ImageBuilder} when a caller gives none (so {@code image build} without
 * {@code --kernel} still makes a bootable image). Modules that own those artifacts (the HVM
 * boot chain and the PV kernel) are below {@code imagefmt} in no dependency order, so the
 * integrator registers them at start-up, e.g. in the CLI's {@code Main}:
 *
 * <pre>{@code
 * BootDefaults.setKernel(ImageBuilder.BootMode.HVM, TinyKernels::hvmBzImage);
 * BootDefaults.setKernel(ImageBuilder.BootMode.PV, TinyKernels::pvKernel);
 * BootDefaults.setInitrd(ImageBuilder.BootMode.PV, TinyKernels::initrd);
 * BootDefaults.setBootCodeInstaller(HvmLoader::installer);
 * }</pre>
 *
 * Nothing is registered by default; a build that needs a missing default fails with a clear
 * message.
 */
public final class BootDefaults {

    private static final Map<ImageBuilder.BootMode, Supplier<byte[]>> KERNELS = new ConcurrentHashMap<>();
    private static final Map<ImageBuilder.BootMode, Supplier<byte[]>> INITRDS = new ConcurrentHashMap<>();
    private static volatile Supplier<BootCodeInstaller> bootCode;

    private BootDefaults() {
    }

    /** Registers the default kernel image for {@code mode} (a bzImage for HVM, a Xen PV kernel for PV). */
    public static void setKernel(ImageBuilder.BootMode mode, Supplier<byte[]> kernel) {
        KERNELS.put(mode, kernel);
    }

    /** Registers the default initrd for {@code mode}. */
    public static void setInitrd(ImageBuilder.BootMode mode, Supplier<byte[]> initrd) {
        INITRDS.put(mode, initrd);
    }

    /** Registers the default HVM boot code. */
    public static void setBootCodeInstaller(Supplier<BootCodeInstaller> installer) {
        bootCode = installer;
    }

    public static Optional<byte[]> kernel(ImageBuilder.BootMode mode) {
        return Optional.ofNullable(KERNELS.get(mode)).map(Supplier::get);
    }

    public static Optional<byte[]> initrd(ImageBuilder.BootMode mode) {
        return Optional.ofNullable(INITRDS.get(mode)).map(Supplier::get);
    }

    public static Optional<BootCodeInstaller> bootCodeInstaller() {
        return Optional.ofNullable(bootCode).map(Supplier::get);
    }
}
