package io.metaxy.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The docs stay navigable and the code they show stays the code that runs: every relative link
 * in README.md and docs/*.md names an existing file (and, with {@code #anchor}, a heading of it),
 * and the kcat worker in docs/protocol.md is the script {@code KcatWorkerITCase} runs.
 */
class DocsTest {
    static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    static final Pattern HEADING = Pattern.compile("^#{1,6} (.+)$", Pattern.MULTILINE);

    static List<Path> docs() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
        try (Stream<Path> s = Files.list(Path.of("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        return files;
    }

    @Test
    void relativeLinksPointToExistingFilesAndHeadings() throws IOException {
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path doc : docs()) {
            String text = withoutCodeBlocks(Files.readString(doc));
            Matcher m = LINK.matcher(text);
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue; // https:, mailto:
                }
                checked++;
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path resolved = file.isEmpty() ? doc : doc.resolveSibling(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(doc + ": " + target + " (no file " + resolved + ")");
                } else if (hash >= 0 && resolved.toString().endsWith(".md")
                        && !anchors(Files.readString(resolved)).contains(target.substring(hash + 1))) {
                    broken.add(doc + ": " + target + " (no such heading in " + resolved + ")");
                }
            }
        }
        assertThat(broken).as("broken relative links").isEmpty();
        assertThat(checked).as("links checked").isGreaterThan(20);
    }

    @Test
    void theProtocolDocShowsTheKcatWorkerVerbatim() throws IOException {
        String doc = Files.readString(Path.of("docs/protocol.md"));
        String script = Files.readString(Path.of("docs/examples/kcat-worker.sh"));
        int marker = doc.indexOf("equal to the file by `DocsTest`");
        assertThat(marker).as("the sentence introducing the script").isPositive();
        int start = doc.indexOf("```bash\n", marker) + "```bash\n".length();
        int end = doc.indexOf("```\n", start);
        assertThat(doc.substring(start, end)).isEqualTo(script);
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'. */
    static Set<String> anchors(String markdown) {
        Set<String> out = new HashSet<>();
        Matcher m = HEADING.matcher(withoutCodeBlocks(markdown));
        while (m.find()) {
            out.add(m.group(1).strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
        }
        return out;
    }

    /** Fenced code blocks hold shell comments and sample text, not links or headings. */
    static String withoutCodeBlocks(String markdown) {
        return markdown.replaceAll("(?s)```.*?```", "");
    }
}
