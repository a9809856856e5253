/**
 * The HTTP vocabulary the APIs share: {@link io.amiforge.cloud.server.http.ApiRequest} (one
 * request, its body's SHA-256 computed once), {@link io.amiforge.cloud.server.http.ApiResponse}
 * and {@link io.amiforge.cloud.server.http.ApiException} (an AWS error code with its HTTP status).
 */
package io.amiforge.cloud.server.http;
