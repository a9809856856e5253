/**
 * The EC2 Query API, version 2016-11-15: {@link io.amiforge.cloud.server.ec2.Ec2QueryApi}
 * dispatches each action to the image, storage, instance and region actions, which answer XML
 * documents through the cloud facade.
 */
package io.amiforge.cloud.server.ec2;
