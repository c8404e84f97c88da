package dev.rerankqueue.testing;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
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
}
