package io.metaxy.flink.cli;

import picocli.CommandLine;

/** Reports the jar's implementation version (from the manifest) for {@code --version}. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = MetaxyCommand.class.getPackage().getImplementationVersion();
        return new String[] {"metaxy-flink " + (version == null ? "dev" : version)};
    }
}
