package io.amiforge.cloud;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.testkit.FaultInjection;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * A child JVM for {@link InterruptedLaunchTest}: {@code ROOT ACCOUNT run IMAGE N} launches the
 * image, dying as by {@code kill -9} ({@link Runtime#halt}) just before its Nth file operation
 * (0: never); {@code start INSTANCE} starts a stopped instance and {@code terminate INSTANCE}
 * terminates one, likewise. With
 * {@code hang} as a sixth argument the boot prints {@code booting} and waits to be killed.
 * Prints {@code done ID} when the operation returned.
 */
public final class LaunchChild {

    private LaunchChild() {
    }

    public static void main(String[] args) {
        Path root = Path.of(args[0]);
        String account = args[1];
        long killAt = Long.parseLong(args[4]);
        boolean hang = args.length > 5 && args[5].equals("hang");
        FaultInjection faults = killAt == 0 ? FaultInjection.countOnly() : FaultInjection.failNth(killAt).throwing(message -> {
            Runtime.getRuntime().halt(137);
            return new AssertionError(message);
        });
        try (Cloud cloud = Cloud.open(root, (device, image, type) -> boot(device, image, hang),
                (op, path) -> faults.before(op.name(), path))) {
            Instance instance = switch (args[2]) {
                case "run" -> cloud.runInstance(account, InterruptedLaunchTest.REGION, args[3], "t3.micro", null);
                case "start" -> cloud.startInstance(account, InterruptedLaunchTest.REGION, args[3]);
                case "terminate" -> cloud.terminateInstance(account, InterruptedLaunchTest.REGION, args[3]);
                default -> throw new IllegalArgumentException("unknown operation " + args[2]);
            };
            System.out.println("done " + instance.instanceId() + " after " + faults.count() + " file operations");
        }
    }

    private static BootReport boot(BlockDevice root, MachineImage image, boolean hang) {
        byte[] first = new byte[16];
        root.read(0, MemorySegment.ofArray(first));
        if (hang) {
            System.out.println("booting");
            System.out.flush();
            try {
                Thread.sleep(120_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return new BootReport(image.virtualizationType().wireName(), BootReport.Result.HALTED, List.of(),
                new String(first).trim(), null, 1, List.of(), null, null);
    }
}
