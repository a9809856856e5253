/**
 * An EC2 Query and EBS direct endpoint over the cloud model, authenticated with AWS Signature
 * Version 4, on Netty HTTP.
 */
module io.amiforge.cloud.server {
    requires transitive io.amiforge.cloud;
    requires io.netty.buffer;
    requires io.netty.codec;
    requires transitive io.netty.codec.http; // ApiRequest.headers()
    requires io.netty.common;
    requires io.netty.handler;
    requires io.netty.transport;
    requires com.fasterxml.jackson.databind;
    requires roaringbitmap;

    exports io.amiforge.cloud.server;
    exports io.amiforge.cloud.server.auth;
    exports io.amiforge.cloud.server.http;
}
