package io.metaxy.flink.definitions;

/** A feature graph or one of its specs is invalid; the message names the feature and field involved. */
public class DefinitionException extends RuntimeException {
    public DefinitionException(String message) {
        super(message);
    }

    public DefinitionException(String message, Throwable cause) {
        super(message, cause);
    }
}
