package dev.rerankqueue.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the formatter cannot check: code names a class by its simple name and imports it (a fully
 * qualified name inline is allowed only where two classes of one simple name meet in a file), and
 * no production source file grows past {@value #MAX_LINES} lines, where one class usually holds
 * more than one idea.
 */
class SourceStyleTest {

    private static final Pattern COMMENTS_AND_STRINGS =
            Pattern.compile(
                    "/\\*.*?\\*/|//[^\\n]*|\"\"\".*?\"\"\"|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\])+'",
                    Pattern.DOTALL);
    private static final Pattern IMPORT = Pattern.compile("(?m)^import ([\\w.]+)\\.(\\w+);");
    private static final Pattern INLINE =
            Pattern.compile(
                    "(?<![\\w.])((?:java|javax|jakarta|io|org|com|dev)(?:\\.[a-z][a-z0-9_]*)+)\\.([A-Z]\\w*)");

    /** Lines a production source file may hold. */
    static final int MAX_LINES = 400;

    @Test
    void noProductionSourceFileIsLongerThanTheLimit() throws IOException {
        List<String> tooLong = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of(".."))) {
            for (Path p :
                    files.filter(p -> p.toString().endsWith(".java"))
                            .filter(p -> p.toString().contains("/src/main/"))
                            .filter(p -> !p.toString().contains("/target/"))
                            .toList()) {
                long lines = Files.readAllLines(p).size();
                if (lines > MAX_LINES) {
                    tooLong.add(p.toString().replaceFirst("^\\.\\./", "") + ": " + lines);
                }
            }
        }
        assertEquals(List.of(), tooLong, "split these along their ideas");
    }

    @Test
    void codeImportsWhatItNamesInsteadOfWritingQualifiedNames() throws IOException {
        List<String> inline = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of(".."))) {
            files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> p.toString().contains("/src/"))
                    .filter(p -> !p.toString().contains("/target/"))
                    .forEach(p -> inline.addAll(qualifiedNamesIn(p)));
        }
        assertEquals(List.of(), inline, "import these classes instead");
    }

    private static List<String> qualifiedNamesIn(Path file) {
        String source;
        try {
            source = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> imported = new HashMap<>();
        Matcher i = IMPORT.matcher(source);
        while (i.find()) {
            imported.put(i.group(2), i.group(1));
        }
        String code =
                COMMENTS_AND_STRINGS
                        .matcher(source)
                        .replaceAll("\"\"")
                        .replaceAll("(?m)^(import|package) [^\\n]*", "");
        Map<String, String> seen = new HashMap<>();
        Matcher m = INLINE.matcher(code);
        List<MatchResult> hits = new ArrayList<>();
        while (m.find()) {
            hits.add(m.toMatchResult());
            seen.merge(m.group(2), m.group(1), (a, b) -> a.equals(b) ? a : "*");
        }
        List<String> found = new ArrayList<>();
        for (var hit : hits) {
            String pkg = hit.group(1);
            String simple = hit.group(2);
            boolean clash =
                    "*".equals(seen.get(simple))
                            || (imported.containsKey(simple) && !imported.get(simple).equals(pkg));
            if (!clash) {
                found.add(file.toString().replaceFirst("^\\.\\./", "") + ": " + pkg + "." + simple);
            }
        }
        return found;
    }
}
