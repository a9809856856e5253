/**
 * An EC2 Query and EBS direct endpoint that unmodified AWS clients use:
 * {@link io.amiforge.cloud.server.CloudServer} (Netty HTTP/1.1) routes each request to the EC2
 * Query API ({@code ec2}) or EBS direct ({@code ebs}) after checking its Signature Version 4
 * ({@code auth}).
 */
package io.amiforge.cloud.server;
