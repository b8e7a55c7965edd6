package io.metaxy.flink.stream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Checks that a local port can still be bound, so that a taken port is reported in one clear line
 * before a broker or web server fails on it with pages of stack traces.
 *
 * <pre>{@code
 * FreePort.require(9092, "port 9092 is in use: choose another with --kafka-port");
 * }</pre>
 */
public final class FreePort {
    private FreePort() {}

    /** Throws {@link IllegalStateException} with {@code problem} when {@code port} is taken. */
    public static void require(int port, String problem) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            throw new IllegalStateException(problem);
        }
    }
}
