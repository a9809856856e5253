package io.amiforge.cli.demo;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.boot.image.ImageBooter;
import io.amiforge.boot.pv.TinyPvKernel;
import io.amiforge.cli.cloud.CloudFactory;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.Progress;
import io.amiforge.cli.common.ProgressOptions;
import io.amiforge.cloud.Architecture;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ec2Credentials;
import io.amiforge.cloud.Instance;
import io.amiforge.cloud.MachineImage;
import io.amiforge.cloud.VirtualizationType;
import io.amiforge.cloud.bundle.BundleManifest;
import io.amiforge.cloud.bundle.Bundler;
import io.amiforge.cloud.bundle.Unbundler;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.store.ChangedBlocks;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.VerifyReport;
import io.amiforge.transfer.ChainImporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code amiforge demo}: the whole story on a fresh store, with real data at every step: build
 * an HVM and a PV image from a directory tree, boot them, import them as snapshots, register
 * AMIs, share one, launch instances in two zones, change a running root volume, create an image
 * from it and list the changed blocks, copy it to another region incrementally, bundle and
 * unbundle an instance-store AMI and launch it, and walk the lifecycles to termination.
 */
@Command(name = "demo", description = {"End-to-end walk-through on a fresh store (build, snapshot, register, share, launch, boot, copy, bundle).",
        "Example: amiforge demo --store /tmp/demo-store"})
public final class DemoCommand extends CommandBase {

    @Mixin
    ProgressOptions progressOptions = new ProgressOptions();

    private static final String OWNER = "111122223333";
    private static final String FRIEND = "444455556666";
    private static final String REGION = "us-east-1";
    private static final String OTHER_REGION = "us-west-2";
    private static final long IMAGE_SIZE = 64L << 20;

    @Override
    protected int execute() throws Exception {
        Path store = freshStore();
        Path work = store.resolve("demo-files");
        Files.createDirectories(work);
        // with --json, stdout carries only the JSON summary; the walk-through goes to stderr
        java.io.PrintWriter narration = global().json() ? err() : out();
        DemoSteps steps = new DemoSteps(narration, 11);
        narration.println("amiforge demo: a fresh store at " + store);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("store", store.toString());

        steps.step("Build a root filesystem tree");
        Path rootTree = work.resolve("rootfs");
        writeRootTree(rootTree);
        steps.say("%s: /etc/hostname, /etc/motd, /usr/bin/hello, a symlink, a 1 MiB sparse file", rootTree);

        steps.step("Make an HVM image (MBR, ext2, amiforge boot loader, tiny bzImage) and a PV image (ext2, menu.lst, Xen PV kernel, qcow2)");
        Path hvmImage = work.resolve("web-hvm.raw");
        ImageBuilder.Result hvm = ImageBuilder.from(rootTree).partition(ImageBuilder.PartitionScheme.MBR)
                .boot(ImageBuilder.BootMode.HVM).kernel(TinyKernel.bzImage()).cmdline("console=ttyS0 root=/dev/xvda1 ro quiet")
                .bootCode(new AmiforgeBootChain()).buildRaw(hvmImage, IMAGE_SIZE);
        steps.say("%s: %d MiB, partition at LBA %d, kernel in %d extent(s)", hvmImage.getFileName(), IMAGE_SIZE >> 20,
                hvm.fsStartLba(), hvm.payload().kernel().size());
        Path pvRaw = work.resolve("web-pv.raw");
        ImageBuilder.Result pv = ImageBuilder.from(rootTree).partition(ImageBuilder.PartitionScheme.NONE)
                .boot(ImageBuilder.BootMode.PV).kernel(TinyPvKernel.elf("amiforge demo PV guest"))
                .cmdline("root=/dev/xvda ro console=hvc0").buildRaw(pvRaw, IMAGE_SIZE);
        Path pvImage = work.resolve("web-pv.qcow2");
        ImageConverter.convert(pvRaw, pvImage, "qcow2", CreateOptions.defaults());
        ImageInfo pvInfo = ImageFormats.info(pvImage);
        steps.say("%s: %s, virtual size %d MiB, %d KiB on disk; menu.lst:", pvImage.getFileName(), pvInfo.format(),
                pvInfo.virtualSize() >> 20, Files.size(pvImage) >> 10);
        steps.block("  | ", pv.menuLst());

        steps.step("Boot both images in the simulator");
        BootReport hvmBoot;
        try (BlockDevice disk = ImageFormats.open(hvmImage, true)) {
            hvmBoot = ImageBooter.hvm(disk, CloudFactory.BOOT_BUDGET, 64L << 20);
        }
        describeBoot(steps, "hvm", hvmBoot);
        BootReport pvBoot;
        try (BlockDevice disk = ImageFormats.open(pvImage, true)) {
            pvBoot = ImageBooter.pv(disk, "x86_64", 512);
        }
        describeBoot(steps, "pv", pvBoot);
        requireBooted(hvmBoot, "HVM image");
        requireBooted(pvBoot, "PV image");

        try (Cloud cloud = CloudFactory.open(store)) {
            SnapshotStore blocks = cloud.store(REGION);

            steps.step("Import the images into the " + REGION + " snapshot store");
            ChainImporter.Result hvmImport = ChainImporter.importImage(blocks, "web-hvm-import", hvmImage);
            ChainImporter.Result pvImport = ChainImporter.importImage(blocks, "web-pv-import", pvImage);
            String hvmSnapshot = hvmImport.snapshots().getLast().id();
            String pvSnapshot = pvImport.snapshots().getLast().id();
            steps.say("%s <- %s (%d blocks of 4 KiB stored; the rest of the 64 MiB is sparse)", hvmSnapshot,
                    hvmImage.getFileName(), blocks.snapshot(hvmSnapshot).blockCount());
            steps.say("%s <- %s (%d blocks)", pvSnapshot, pvImage.getFileName(), blocks.snapshot(pvSnapshot).blockCount());

            steps.step("Register both as AMIs and share the HVM one with account " + FRIEND);
            MachineImage hvmAmi = cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest("web-hvm", "demo HVM image",
                    hvmSnapshot, VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of()));
            MachineImage pvAmi = cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest("web-pv", "demo PV image",
                    pvSnapshot, VirtualizationType.PARAVIRTUAL, Architecture.X86_64, null, null, null, List.of()));
            steps.say("%s  web-hvm  hvm          root %s", hvmAmi.imageId(), hvmAmi.rootDeviceName());
            steps.say("%s  web-pv   paravirtual  root %s, kernel %s (PV-GRUB hd0)", pvAmi.imageId(), pvAmi.rootDeviceName(),
                    pvAmi.kernelId());
            cloud.modifyLaunchPermission(OWNER, REGION, hvmAmi.imageId(), List.of(FRIEND), List.of());
            List<MachineImage> friendSees = cloud.describeImages(FRIEND, REGION, new Cloud.ImageFilter(null, List.of("self"), null));
            steps.say("account %s can now launch: %s; it cannot see %s", FRIEND,
                    friendSees.stream().map(MachineImage::imageId).toList(), pvAmi.imageId());
            summary.put("amis", List.of(hvmAmi.imageId(), pvAmi.imageId()));

            steps.step("Launch instances in two zones and read their consoles");
            Instance web = cloud.runInstance(OWNER, REGION, hvmAmi.imageId(), "t3.micro", REGION + "a");
            steps.say("%s  %s  %s  %s  boot: %s", web.instanceId(), web.instanceType(), web.availabilityZone(),
                    web.state().wireName(), web.lastBoot().result());
            steps.block("console> ", web.lastBoot().console());
            Instance legacy = cloud.runInstance(OWNER, REGION, pvAmi.imageId(), "m1.small", REGION + "b");
            steps.say("%s  %s  %s  %s  boot: %s (%s)", legacy.instanceId(), legacy.instanceType(), legacy.availabilityZone(),
                    legacy.state().wireName(), legacy.lastBoot().result(), legacy.lastBoot().kernel());
            steps.block("console> ", tail(legacy.lastBoot().console(), 6));
            Instance friends = cloud.runInstance(FRIEND, REGION, hvmAmi.imageId(), "t3.small", REGION + "c");
            steps.say("account %s launched the shared AMI too: %s in %s (%s)", FRIEND, friends.instanceId(),
                    friends.availabilityZone(), friends.lastBoot().result());
            try {
                cloud.runInstance(FRIEND, REGION, pvAmi.imageId(), "m1.small", null);
            } catch (AmiforgeException e) {
                steps.say("and is refused the other: %s: %s", e.code(), e.getMessage());
            }

            steps.step("Write to the running instance's root volume, then create an image from it");
            String newMotd = "Changed while running, " + web.instanceId() + "\n";
            try (BlockDevice root = cloud.openAttached(REGION, web.rootVolume())) {
                int changed = RootFileEditor.replaceFile(root, "/etc/motd", newMotd.getBytes(StandardCharsets.UTF_8));
                root.flush();
                steps.say("rewrote /etc/motd in place on %s (%d filesystem block(s))", web.rootVolume().volumeName(), changed);
            }
            MachineImage derived = cloud.createImage(OWNER, REGION, web.instanceId(), "web-hvm-v2", "with the new motd", true);
            String derivedSnapshot = derived.rootMapping().orElseThrow().ebs().snapshotId();
            ChangedBlocks diff = blocks.diff(hvmSnapshot, derivedSnapshot);
            steps.say("%s from %s (no reboot, crash-consistent), root snapshot %s", derived.imageId(), web.instanceId(),
                    derivedSnapshot);
            steps.say("changed blocks %s -> %s: %s (block size %d)", hvmSnapshot, derivedSnapshot,
                    java.util.Arrays.toString(diff.blocks()), diff.blockSize());
            summary.put("createdImage", Map.of("imageId", derived.imageId(), "rootSnapshot", derivedSnapshot,
                    "changedBlocks", diff.blocks()));

            steps.step("Copy the AMIs to " + OTHER_REGION + " (incrementally)");
            Cloud.CopyResult first = cloud.copyImage(OWNER, REGION, hvmAmi.imageId(), OTHER_REGION, null);
            steps.say("%s -> %s: %d blocks copied", hvmAmi.imageId(), first.image().imageId(), first.blocksCopied());
            Cloud.CopyResult second = cloud.copyImage(OWNER, REGION, derived.imageId(), OTHER_REGION, null);
            steps.say("%s -> %s: %d blocks copied, %d already in %s", derived.imageId(), second.image().imageId(),
                    second.blocksCopied(), second.blocksAlreadyPresent(), OTHER_REGION);
            summary.put("copies", List.of(
                    Map.of("imageId", first.image().imageId(), "blocksCopied", first.blocksCopied()),
                    Map.of("imageId", second.image().imageId(), "blocksCopied", second.blocksCopied(),
                            "blocksAlreadyPresent", second.blocksAlreadyPresent())));
            Instance west = cloud.runInstance(OWNER, OTHER_REGION, second.image().imageId(), "m5.large", OTHER_REGION + "b");
            steps.say("launched %s in %s: %s", west.instanceId(), west.availabilityZone(), west.lastBoot().result());

            steps.step("Bundle the PV image as ec2-bundle-image does, check it, register an instance-store AMI");
            Ec2Credentials user = Ec2Credentials.loadOrCreate(work.resolve("user-credentials"), "demo-user-" + OWNER);
            Path bundleDir = work.resolve("bundle");
            Bundler.Result bundle;
            try (Progress progress = progress("      bundling", Files.size(pvRaw), progressOptions.requested(), true)) {
                bundle = Bundler.withKeys(user.certificate(), user.privateKey(), cloud.ec2Credentials().certificate())
                        .withProgress(progress).bundle(pvRaw, bundleDir, "web-pv", OWNER,
                                BundleManifest.MachineConfiguration.of("x86_64"));
            }
            steps.say("%s + %d part(s), image digest %s", bundle.manifestFile().getFileName(), bundle.partFiles().size(),
                    bundle.manifest().image().digest());
            Unbundler.Result check = Unbundler.withPrivateKey(user.privateKey())
                    .unbundle(bundle.manifestFile(), bundleDir, work.resolve("unbundled"));
            steps.say("unbundled with the user key: %s, %d bytes, identical to the source: %s", check.imageFile().getFileName(),
                    check.size(), Files.mismatch(check.imageFile(), pvRaw) == -1);
            MachineImage storeAmi = cloud.registerBundle(OWNER, REGION, bundle.manifestFile(), user.certificateFile(),
                    "web-pv-instance-store", VirtualizationType.PARAVIRTUAL, Architecture.X86_64, null);
            steps.say("%s  instance-store  %s", storeAmi.imageId(), storeAmi.imageLocation());
            Instance ephemeral = cloud.runInstance(OWNER, REGION, storeAmi.imageId(), "m1.small", REGION + "d");
            steps.say("%s from the bundle: %s, boot %s (%s)", ephemeral.instanceId(), ephemeral.state().wireName(),
                    ephemeral.lastBoot().result(), ephemeral.lastBoot().kernel());
            summary.put("bundle", Map.of("manifest", bundle.manifestFile().toString(), "parts", bundle.partFiles().size(),
                    "instanceStoreImage", storeAmi.imageId()));
            summary.put("boots", Map.of(web.instanceId(), web.lastBoot().result(), legacy.instanceId(),
                    legacy.lastBoot().result(), friends.instanceId(), friends.lastBoot().result(), west.instanceId(),
                    west.lastBoot().result(), ephemeral.instanceId(), ephemeral.lastBoot().result()));

            steps.step("Lifecycles: stop/start keeps EBS data; instance store cannot stop; terminate");
            Instance stopped = cloud.stopInstance(OWNER, REGION, web.instanceId());
            steps.say("%s %s", stopped.instanceId(), stopped.state().wireName());
            Instance started = cloud.startInstance(OWNER, REGION, web.instanceId());
            String motd;
            try (BlockDevice root = cloud.openAttached(REGION, started.rootVolume())) {
                motd = RootFileEditor.readFile(root, "/etc/motd").strip();
            }
            steps.say("%s %s again; /etc/motd on its root volume: \"%s\"", started.instanceId(), started.state().wireName(), motd);
            try {
                cloud.stopInstance(OWNER, REGION, ephemeral.instanceId());
            } catch (AmiforgeException e) {
                steps.say("stop %s: %s: %s", ephemeral.instanceId(), e.code(), e.getMessage());
            }
            Instance rebooted = cloud.rebootInstance(OWNER, REGION, ephemeral.instanceId());
            steps.say("reboot %s: %s, boot %s (instance store kept)", rebooted.instanceId(), rebooted.state().wireName(),
                    rebooted.lastBoot().result());
            for (Instance i : List.of(web, legacy, ephemeral)) {
                Instance t = cloud.terminateInstance(OWNER, REGION, i.instanceId());
                steps.say("terminate %s: %s; volumes %s", t.instanceId(), t.state().wireName(), t.blockDeviceMappings().stream()
                        .map(v -> v.volumeName() + (v.deleted() ? " deleted" : " kept")).toList());
            }
            cloud.terminateInstance(FRIEND, REGION, friends.instanceId());
            cloud.terminateInstance(OWNER, OTHER_REGION, west.instanceId());
            try {
                cloud.deleteSnapshot(OWNER, REGION, hvmSnapshot);
            } catch (AmiforgeException e) {
                steps.say("delete %s: %s (AMIs and snapshots outlive instances)", hvmSnapshot, e.code());
            }

            steps.step("Verify every stored block and say where everything is");
            for (String region : List.of(REGION, OTHER_REGION)) {
                VerifyReport report = cloud.store(region).verify();
                steps.say("%s: store verify %s", region, report.ok() ? "clean" : "FOUND DAMAGE " + report.damage());
                summary.put("verify-" + region, report.ok() ? "clean" : "damaged");
                if (!report.ok()) {
                    throw new AmiforgeException(AmiforgeException.Kind.FAILED, "CorruptData", "store verify found damage in " + region);
                }
            }
            steps.say("store:     %s", store);
            steps.say("images:    %s, %s", hvmImage, pvImage);
            steps.say("bundle:    %s", bundleDir);
            steps.say("try:       ./amiforge --store %s ami describe", store);
            steps.say("           ./amiforge --store %s instance console %s", store, started.instanceId());
            steps.say("           ./amiforge --store %s snapshot diff %s %s", store, hvmSnapshot, derivedSnapshot);
            narration.printf("%namiforge demo finished in %.1f s%n", steps.seconds());
            summary.put("seconds", steps.seconds());
        }
        if (global().json()) {
            print(summary, null);
        }
        return 0;
    }

    /** The store named by --store / $AMIFORGE_STORE (it must be empty), else a new temporary directory. */
    private Path freshStore() throws IOException {
        java.util.Optional<Path> given = global().explicitStore();
        if (given.isEmpty()) {
            return Files.createTempDirectory("amiforge-demo-");
        }
        Path store = given.get();
        if (Files.exists(store)) {
            try (var entries = Files.list(store)) {
                if (entries.findAny().isPresent()) {
                    throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                            "the demo needs a fresh store, and " + store + " is not empty (give a new directory)");
                }
            }
        }
        return store;
    }

    private static void describeBoot(DemoSteps steps, String mode, BootReport report) {
        steps.say("%s: %s after %d instructions, %d disk reads; stages: %s", mode, report.result().wireName(),
                report.instructions(), report.diskReads().size(),
                report.stages().stream().map(BootReport.Stage::name).toList());
        if (report.kernel() != null) {
            steps.say("%s: kernel %s, command line \"%s\"", mode, report.kernel().version(), report.kernel().cmdline());
        }
        steps.block(mode + " console> ", tail(report.console(), 8));
    }

    private static void requireBooted(BootReport report, String what) {
        if (report.result() == BootReport.Result.FAILED || report.result() == BootReport.Result.BUDGET_EXHAUSTED) {
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "BootFailed",
                    what + " did not boot: " + report.result().wireName() + (report.error() == null ? "" : ": " + report.error()));
        }
    }

    private static String tail(String text, int lines) {
        String[] all = text.strip().split("\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
    }

    private static void writeRootTree(Path root) throws IOException {
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("usr/bin"));
        Files.createDirectories(root.resolve("var/lib/data"));
        Files.writeString(root.resolve("etc/hostname"), "amiforge-demo\n");
        Files.writeString(root.resolve("etc/motd"), "Welcome to an amiforge-built image.\n" + "-".repeat(40) + "\n");
        Path hello = root.resolve("usr/bin/hello");
        Files.writeString(hello, "#!/bin/sh\necho hello from amiforge\n");
        hello.toFile().setExecutable(true, false);
        Files.createSymbolicLink(root.resolve("etc/issue"), Path.of("motd"));
        try (var file = new java.io.RandomAccessFile(root.resolve("var/lib/data/sparse.bin").toFile(), "rw")) {
            file.setLength(1 << 20);
            file.seek(512 * 1024);
            file.write("data in the middle of a hole".getBytes(StandardCharsets.UTF_8));
        }
    }
}
