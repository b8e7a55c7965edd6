package io.metaxy.flink.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Puts a password that came from the environment or a file into a store URL. The result travels
 * inside the job's store sink only: it is never printed, logged or put into a Flink configuration.
 */
final class StoreCredentials {
    private StoreCredentials() {}

    static String withPassword(String url, String password) {
        if (password == null) {
            return url;
        }
        String encoded = URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
        if (url.startsWith("jdbc:postgresql://")) {
            return url.contains("password=") ? url : url + (url.contains("?") ? "&" : "?") + "password=" + encoded;
        }
        for (String scheme : new String[] {"postgresql://", "postgres://"}) {
            if (url.startsWith(scheme)) {
                String rest = url.substring(scheme.length());
                int at = rest.indexOf('@');
                int slash = rest.indexOf('/');
                if (at < 0 || (slash >= 0 && slash < at)) {
                    throw new IllegalArgumentException("a store password needs a user in the store URL (postgresql://USER@host/db)");
                }
                if (rest.substring(0, at).contains(":")) {
                    return url; // the URL's own password wins
                }
                return scheme + rest.substring(0, at) + ":" + encoded + rest.substring(at);
            }
        }
        throw new IllegalArgumentException("a store password is only for a PostgreSQL store");
    }
}
