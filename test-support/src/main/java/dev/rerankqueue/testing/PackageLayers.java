package dev.rerankqueue.testing;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The package graph of one service, checked on its compiled classes: each package may use only the
 * packages listed below it, so dependencies point down and never in a circle, and every package of
 * the service must have its place in the list.
 */
public final class PackageLayers {

    private PackageLayers() {}

    /**
     * Fails unless every class of {@code base}'s sub-packages {@code topDown} (highest first)
     * depends only on sub-packages listed after its own, and no other sub-package exists.
     */
    public static void check(String base, String... topDown) {
        JavaClasses classes =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages(base);
        Set<String> unplaced = new TreeSet<>();
        for (JavaClass c : classes) {
            String rest = c.getPackageName().substring(base.length());
            String top =
                    rest.isEmpty() ? "(" + base + " itself)" : rest.substring(1).split("\\.")[0];
            if (!Arrays.asList(topDown).contains(top)) {
                unplaced.add(top);
            }
        }
        if (!unplaced.isEmpty()) {
            throw new AssertionError(
                    "packages without a place in the layers of " + base + ": " + unplaced);
        }
        LayeredArchitecture layers = layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (String p : topDown) {
            layers = layers.layer(p).definedBy(base + "." + p + "..");
        }
        for (int i = 0; i < topDown.length; i++) {
            List<String> above = Arrays.asList(topDown).subList(0, i);
            layers =
                    above.isEmpty()
                            ? layers.whereLayer(topDown[i]).mayNotBeAccessedByAnyLayer()
                            : layers.whereLayer(topDown[i])
                                    .mayOnlyBeAccessedByLayers(above.toArray(String[]::new));
        }
        layers.check(classes);
    }

    /**
     * Fails unless the project's README (one directory up) lists {@code base}'s packages as {@code
     * topDown} and the module's own README gives them a table row each, in that order.
     */
    public static void checkListedInReadmes(String base, List<String> topDown) throws IOException {
        List<String> project = listedIn(Path.of("..", "README.md"), base);
        if (!project.equals(topDown)) {
            throw new AssertionError(
                    "the project README's layout lists " + project + ", the layers " + topDown);
        }
        List<String> module = tabledIn(Path.of("README.md"));
        if (!module.equals(topDown)) {
            throw new AssertionError(
                    "the module README's package table has " + module + ", the layers " + topDown);
        }
    }

    /**
     * The packages the project's README lists for {@code base}, in its order: the names inside the
     * braces of {@code base.{a, b, c}} in {@code readme}.
     */
    public static List<String> listedIn(Path readme, String base) throws IOException {
        String text = Files.readString(readme);
        int at = text.indexOf(base + ".{");
        if (at < 0) {
            throw new AssertionError(readme + " lists no packages as " + base + ".{...}");
        }
        int open = at + base.length() + 1;
        String inside = text.substring(open + 1, text.indexOf('}', open));
        return Arrays.stream(inside.split(",")).map(String::strip).toList();
    }

    /**
     * The packages a module's README gives a row to, in its order: the first column of the table
     * whose header starts with {@code | package |}.
     */
    public static List<String> tabledIn(Path moduleReadme) throws IOException {
        List<String> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(moduleReadme)) {
            if (line.startsWith("| package |")) {
                inTable = true;
            } else if (inTable && !line.startsWith("|")) {
                break;
            } else if (inTable && line.startsWith("| `")) {
                rows.add(line.substring(3, line.indexOf('`', 3)));
            }
        }
        return rows;
    }
}
