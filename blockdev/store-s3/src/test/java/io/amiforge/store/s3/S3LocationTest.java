package io.amiforge.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code s3://bucket/prefix} parsing and the configuration from AWS's variables, with their errors. */
class S3LocationTest {

    @Test
    void parsesBucketAndPrefix() {
        assertThat(S3Location.parse("s3://my-bucket")).isEqualTo(new S3Location("my-bucket", ""));
        assertThat(S3Location.parse("s3://my-bucket/")).isEqualTo(new S3Location("my-bucket", ""));
        S3Location location = S3Location.parse("s3://b.1-x/snap/store/");
        assertThat(location.prefix()).isEqualTo("snap/store");
        assertThat(location.objectKey("layers/1")).isEqualTo("snap/store/layers/1");
        assertThat(location.storeKey("snap/store/layers/1")).isEqualTo("layers/1");
        assertThat(location).hasToString("s3://b.1-x/snap/store");
        assertThat(S3Location.parse("s3://abc").objectKey("k")).isEqualTo("k");
    }

    @Test
    void refusesWhatIsNotALocation() {
        refused("/local/dir", "expected s3://BUCKET");
        refused("s3:/bucket", "expected s3://BUCKET");
        refused("s3://", "bucket name is empty");
        refused("s3:///prefix", "bucket name is empty");
        refused("s3://ab/x", "has 2 characters, S3 allows 3 to 63");
        refused("s3://" + "a".repeat(64), "has 64 characters");
        refused("s3://My-Bucket/x", "'M' at index 0");
        refused("s3://bucket_1/x", "'_' at index 6");
        refused("s3://bucket-/x", "'-' at index 6");
        refused("s3://bucket/a//b", "empty path segment");
    }

    private static void refused(String text, String why) {
        assertThatThrownBy(() -> S3Location.parse(text)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("'" + text + "'").hasMessageContaining(why)
                .satisfies(e -> assertThat(((AmiforgeException) e).kind()).isEqualTo(AmiforgeException.Kind.USAGE));
    }

    @Test
    void configurationFromTheAwsVariables() {
        S3Config config = S3Config.fromEnvironment(Map.of("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7480",
                "AWS_ENDPOINT_URL", "http://elsewhere:1", "AWS_REGION", "eu-west-1", "AWS_DEFAULT_REGION", "x",
                "AWS_ACCESS_KEY_ID", "AK", "AWS_SECRET_ACCESS_KEY", "SK"));
        assertThat(config.endpoint()).hasToString("http://127.0.0.1:7480");
        assertThat(config.pathStyle()).isTrue();
        assertThat(config.region()).isEqualTo("eu-west-1");
        assertThat(config.accessKey()).isEqualTo("AK");
        assertThat(config.secretKey()).isEqualTo("SK");
        S3Config fallbacks = S3Config.fromEnvironment(Map.of("AWS_ENDPOINT_URL", "https://s3.example:9000",
                "AWS_DEFAULT_REGION", "ap-south-1"));
        assertThat(fallbacks.endpoint()).hasToString("https://s3.example:9000");
        assertThat(fallbacks.region()).isEqualTo("ap-south-1");
        assertThat(fallbacks.accessKey()).isNull();
        S3Config none = S3Config.fromEnvironment(Map.of());
        assertThat(none.endpoint()).isNull();
        assertThat(none.pathStyle()).isFalse();
        assertThat(none.region()).isEqualTo("us-east-1");
    }

    @Test
    void refusesBadConfiguration() {
        badConfig(() -> S3Config.fromEnvironment(Map.of("AWS_ENDPOINT_URL_S3", "ftp://x")), "'ftp://x' is not an http");
        badConfig(() -> S3Config.fromEnvironment(Map.of("AWS_ENDPOINT_URL_S3", "http://a b")), "'http://a b' is not a URL");
        badConfig(() -> S3Config.fromEnvironment(Map.of("AWS_ACCESS_KEY_ID", "AK")), "got only the access key");
        badConfig(() -> S3Config.defaults().withUpload(1 << 20, 4), "part size 1048576 is outside");
        badConfig(() -> S3Config.defaults().withUpload(8 << 20, 0), "upload parallelism must be positive, got 0");
        badConfig(() -> S3Config.defaults().withRead(1 << 20, -1), "read parallelism must be positive, got -1");
        badConfig(() -> S3Config.defaults().withRetries(0, Duration.ofSeconds(1), Duration.ofSeconds(1)),
                "attempts must be positive, got 0");
    }

    private static void badConfig(Runnable build, String why) {
        assertThatThrownBy(build::run).isInstanceOf(AmiforgeException.class).hasMessageContaining(why)
                .satisfies(e -> assertThat(((AmiforgeException) e).kind()).isEqualTo(AmiforgeException.Kind.USAGE));
    }
}
