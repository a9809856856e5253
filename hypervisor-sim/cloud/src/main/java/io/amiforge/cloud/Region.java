package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A region: its availability zones and its limits. The EBS root-volume limit is a per-region
 * setting because it changed over time (16 TiB in older EC2 documents, 64 TiB today);
 * {@code legacy-1} keeps the old figure for experiments.
 */
public record Region(String name, List<String> zones, long maxEbsRootVolumeGiB) {

    /** Instance-store root volumes (unbundled from S3) are limited to 10 GiB, in every region. */
    public static final long MAX_INSTANCE_STORE_ROOT_GIB = 10;

    private static final Map<String, Region> KNOWN = new TreeMap<>();

    static {
        add("us-east-1", "abcdef", 65536);
        add("us-east-2", "abc", 65536);
        add("us-west-1", "abc", 65536);
        add("us-west-2", "abcd", 65536);
        add("eu-west-1", "abc", 65536);
        add("eu-central-1", "abc", 65536);
        add("ap-southeast-2", "abc", 65536);
        add("ap-northeast-1", "acd", 65536);
        add("sa-east-1", "abc", 65536);
        add("legacy-east-1", "ab", 16384);
    }

    private static void add(String name, String zoneLetters, long maxRootGiB) {
        List<String> zones = zoneLetters.chars().mapToObj(c -> name + (char) c).toList();
        KNOWN.put(name, new Region(name, zones, maxRootGiB));
    }

    public Region {
        zones = List.copyOf(zones);
    }

    /** The region called {@code name}, or a clear error listing the known ones. */
    public static Region named(String name) {
        Region region = KNOWN.get(name);
        if (region == null) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "unknown region '" + name + "'; known regions: " + String.join(", ", KNOWN.keySet()));
        }
        return region;
    }

    public static List<Region> all() {
        return List.copyOf(KNOWN.values());
    }

    /** {@code zone} if it is one of this region's, else {@code InvalidParameterValue}; null picks the first. */
    public String zone(String zone) {
        if (zone == null) {
            return zones.getFirst();
        }
        if (!zones.contains(zone)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "Invalid availability zone: [" + zone + "]; " + name + " has " + String.join(", ", zones));
        }
        return zone;
    }
}
