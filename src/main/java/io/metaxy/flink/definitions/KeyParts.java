package io.metaxy.flink.definitions;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Parses and validates the slash-separated keys shared by features and fields, with Metaxy's
 * rules: lowercase parts, the first starting with a letter or '_', no part containing "__"
 * (which separates parts in table names).
 */
final class KeyParts {
    private static final Pattern FIRST = Pattern.compile("[a-z_][a-z0-9_\\-]*");
    private static final Pattern LATER = Pattern.compile("[a-z0-9_][a-z0-9_\\-]*");

    private KeyParts() {}

    static List<String> parse(String what, String key) {
        if (key == null || key.isEmpty()) {
            throw new DefinitionException(what + " key must not be empty");
        }
        return validate(what, List.of(key.split("/", -1)));
    }

    static List<String> validate(String what, List<String> parts) {
        if (parts == null || parts.isEmpty()) {
            throw new DefinitionException(what + " key must have at least one part");
        }
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i);
            Pattern pattern = i == 0 ? FIRST : LATER;
            if (part == null || !pattern.matcher(part).matches() || part.contains("__")) {
                throw new DefinitionException("invalid " + what + " key '" + String.join("/", parts)
                        + "': part '" + part + "' must match " + pattern.pattern() + " and not contain '__'");
            }
        }
        return List.copyOf(parts);
    }
}
