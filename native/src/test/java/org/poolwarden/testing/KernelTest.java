package org.poolwarden.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test that needs the real kernel: root, and the commands named in {@link #needs()} on the PATH. Where they are
 * missing the test is skipped, except with {@code CI=true}, where it fails: CI must never pass by skipping.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("kernel")
@ExtendWith(KernelRequirement.class)
public @interface KernelTest {
    /** Commands the test runs or needs installed, e.g. {@code "iperf3"}. */
    String[] needs() default {};

    /** Shared libraries the test loads by soname, e.g. {@code "libnftables.so.1"}. */
    String[] libraries() default {};
}
