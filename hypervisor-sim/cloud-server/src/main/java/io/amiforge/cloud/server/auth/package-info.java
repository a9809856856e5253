/**
 * Authentication: {@link io.amiforge.cloud.server.auth.AccessKeys} (the store's API keys, secrets
 * encrypted at rest) and {@link io.amiforge.cloud.server.auth.SigV4Verifier} (AWS Signature
 * Version 4, header and query forms), which turns a signed request into a
 * {@link io.amiforge.cloud.server.auth.Caller} or an {@link io.amiforge.cloud.server.auth.AuthFailure}.
 */
package io.amiforge.cloud.server.auth;
