/**
 * The cloud model in the shapes of the EC2 API's responses, one record per shape, shared by the
 * EC2 endpoint (which writes them as the Query API's XML) and the command line (which writes them
 * as JSON with the AWS CLI's member names, its {@code @JsonProperty} names): {@link
 * io.amiforge.cloud.shape.ReservationShape} and {@link io.amiforge.cloud.shape.InstanceShape}
 * (DescribeInstances, RunInstances), {@link io.amiforge.cloud.shape.StateChangeShape}
 * (Start/Stop/TerminateInstances), {@link io.amiforge.cloud.shape.VolumeShape} (DescribeVolumes,
 * CreateVolume), {@link io.amiforge.cloud.shape.SnapshotShape} (DescribeSnapshots,
 * CreateSnapshot). Images need no shape: {@link io.amiforge.cloud.MachineImage} already is
 * DescribeImages' {@code Image}. Sizes are whole GiB, rounded up ({@link
 * io.amiforge.cloud.shape.Gib}); fields amiforge adds are named so they never collide with an AWS
 * member of the same shape.
 */
package io.amiforge.cloud.shape;
