/** {@code amiforge serve} (the EC2 and EBS direct endpoint) and {@code amiforge account create-key} (its API keys). */
package io.amiforge.cli.serve;
