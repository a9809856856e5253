package io.amiforge.cloud;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The PV-GRUB kernel images (AKIs) of each region. As on EC2 there are two flavours per
 * architecture: {@code hd0} boots an unpartitioned root volume, {@code hd00} the first
 * partition of a partitioned one. The ids are amiforge's own (stable, derived from region,
 * flavour and architecture); they are not EC2's.
 */
public final class PvGrubKernels {

    /** A PV-GRUB flavour: which root device it looks at. */
    public enum Flavour { HD0, HD00 }

    private PvGrubKernels() {
    }

    public static String id(String region, Architecture architecture, Flavour flavour) {
        String key = "pv-grub-" + flavour.name().toLowerCase(java.util.Locale.ROOT) + "_1.05-" + architecture.wireName() + "@" + region;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return "aki-" + HexFormat.of().formatHex(digest).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The default kernel for a paravirtual image registered without one: the {@code hd0} flavour. */
    public static String defaultFor(String region, Architecture architecture) {
        return id(region, architecture, Flavour.HD0);
    }

    /** Which PV-GRUB flavour {@code kernelId} is in {@code region}, if it is one of amiforge's. */
    public static Optional<Flavour> flavourOf(String kernelId, String region, Architecture architecture) {
        for (Flavour flavour : Flavour.values()) {
            if (id(region, architecture, flavour).equals(kernelId)) {
                return Optional.of(flavour);
            }
        }
        return Optional.empty();
    }

    /** Which PV-GRUB flavour {@code kernelId} is, in whichever region it belongs to. */
    public static Optional<Flavour> flavourOf(String kernelId, Architecture architecture) {
        for (Region region : Region.all()) {
            Optional<Flavour> flavour = flavourOf(kernelId, region.name(), architecture);
            if (flavour.isPresent()) {
                return flavour;
            }
        }
        return Optional.empty();
    }

    /** The same PV-GRUB flavour in another region (AKIs are regional); unknown kernels keep their id. */
    public static String equivalentIn(String kernelId, String destRegion, Architecture architecture) {
        for (Region region : Region.all()) {
            Optional<Flavour> flavour = flavourOf(kernelId, region.name(), architecture);
            if (flavour.isPresent()) {
                return id(destRegion, architecture, flavour.get());
            }
        }
        return kernelId;
    }
}
