package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An instance type: generation, supported architectures and virtualization types, memory, and
 * instance-store volumes. Current-generation types are HVM-only; previous-generation families
 * (t1, m1, m2, m3, c1, c3) also run paravirtual images, as they did on EC2.
 */
public record InstanceType(String name, boolean currentGeneration, Set<Architecture> architectures,
                           Set<VirtualizationType> virtualizationTypes, int vcpus, long memoryMiB,
                           int instanceStoreVolumes, long instanceStoreGiB) {

    private static final Map<String, InstanceType> KNOWN = new TreeMap<>();

    static {
        Set<Architecture> x64 = EnumSet.of(Architecture.X86_64);
        Set<Architecture> both = EnumSet.of(Architecture.I386, Architecture.X86_64);
        Set<Architecture> arm = EnumSet.of(Architecture.ARM64);
        Set<VirtualizationType> hvm = EnumSet.of(VirtualizationType.HVM);
        Set<VirtualizationType> pvHvm = EnumSet.of(VirtualizationType.HVM, VirtualizationType.PARAVIRTUAL);
        Set<VirtualizationType> pv = EnumSet.of(VirtualizationType.PARAVIRTUAL);
        // current generation
        add("t2.micro", true, both, hvm, 1, 1024, 0, 0);
        add("t3.micro", true, x64, hvm, 2, 1024, 0, 0);
        add("t3.small", true, x64, hvm, 2, 2048, 0, 0);
        add("m5.large", true, x64, hvm, 2, 8192, 0, 0);
        add("m5d.large", true, x64, hvm, 2, 8192, 1, 75);
        add("c5.large", true, x64, hvm, 2, 4096, 0, 0);
        add("i3.large", true, x64, hvm, 2, 15616, 1, 475);
        add("t4g.micro", true, arm, hvm, 2, 1024, 0, 0);
        add("m6g.medium", true, arm, hvm, 1, 4096, 0, 0);
        // previous generation: paravirtual too
        add("t1.micro", false, both, pv, 1, 613, 0, 0);
        add("m1.small", false, both, pvHvm, 1, 1740, 1, 160);
        add("m1.medium", false, both, pvHvm, 1, 3840, 1, 410);
        add("m1.large", false, x64, pvHvm, 2, 7680, 2, 420);
        add("m2.xlarge", false, x64, pvHvm, 2, 17510, 1, 420);
        add("m3.medium", false, x64, pvHvm, 1, 3840, 1, 4);
        add("c1.medium", false, both, pvHvm, 2, 1740, 1, 350);
        add("c3.large", false, x64, pvHvm, 2, 3840, 2, 16);
    }

    private static void add(String name, boolean current, Set<Architecture> archs, Set<VirtualizationType> virt,
                            int vcpus, long memoryMiB, int storeVolumes, long storeGiB) {
        KNOWN.put(name, new InstanceType(name, current, archs, virt, vcpus, memoryMiB, storeVolumes, storeGiB));
    }

    public InstanceType {
        architectures = Set.copyOf(architectures);
        virtualizationTypes = Set.copyOf(virtualizationTypes);
    }

    public static InstanceType named(String name) {
        InstanceType type = KNOWN.get(name);
        if (type == null) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "Invalid value '" + name + "' for InstanceType; known types: " + String.join(", ", KNOWN.keySet()));
        }
        return type;
    }

    public static List<InstanceType> all() {
        return List.copyOf(KNOWN.values());
    }

    /** Refuses, with EC2's error, an image this type cannot run. */
    public void checkCanRun(MachineImage image) {
        if (!virtualizationTypes.contains(image.virtualizationType())) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterCombination",
                    "Virtualization type '" + image.virtualizationType().wireName() + "' is required for AMI "
                            + image.imageId() + ", but instance type '" + name + "' supports only "
                            + virtualizationTypes.stream().map(VirtualizationType::wireName).sorted().toList());
        }
        if (!architectures.contains(image.architecture())) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "The instance type '" + name + "' does not support the architecture '"
                            + image.architecture().wireName() + "' of AMI " + image.imageId() + "; it supports "
                            + architectures.stream().map(Architecture::wireName).sorted().toList());
        }
    }
}
