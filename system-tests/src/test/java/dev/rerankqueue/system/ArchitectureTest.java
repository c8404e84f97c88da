package dev.rerankqueue.system;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The module boundaries of the design, checked on the compiled classes. */
class ArchitectureTest {

    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes =
                new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("dev.rerankqueue");
    }

    @Test
    void commonIsPlainJavaWithoutFrameworks() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.rerankqueue.job..",
                        "dev.rerankqueue.messaging..",
                        "dev.rerankqueue.store..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.quarkus..",
                        "io.smallrye..",
                        "io.vertx..",
                        "jakarta..",
                        "org.apache.kafka..",
                        "io.micrometer..")
                .check(classes);
    }

    @Test
    void gatewayNeverUsesWorkerCode() {
        noClasses()
                .that()
                .resideInAPackage("dev.rerankqueue.gateway..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.rerankqueue.worker..")
                .check(classes);
    }

    @Test
    void workerNeverUsesGatewayCode() {
        noClasses()
                .that()
                .resideInAPackage("dev.rerankqueue.worker..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("dev.rerankqueue.gateway..")
                .check(classes);
    }

    @Test
    void sharedContractDoesNotReachIntoEitherService() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "dev.rerankqueue.job..",
                        "dev.rerankqueue.messaging..",
                        "dev.rerankqueue.store..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.rerankqueue.gateway..", "dev.rerankqueue.worker..")
                .check(classes);
    }
}
