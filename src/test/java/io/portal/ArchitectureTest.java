package io.portal;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The layering of ../shared/STYLE.md, enforced: each package knows only its neighbours. */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.portal");
  }

  @Test
  void protocolImportsNoPekko() {
    noClasses().that().resideInAPackage("io.portal.protocol..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.pekko..")
        .check(classes);
  }

  @Test
  void codecImportsNoActors() {
    noClasses().that().resideInAPackage("io.portal.codec..")
        .should().dependOnClassesThat().resideInAnyPackage("org.apache.pekko.actor..", "io.portal.connection..",
            "io.portal.store..", "io.portal.server..", "io.portal.transport..", "io.portal.client..")
        .check(classes);
  }

  @Test
  void transportKnowsNothingOfFramesOrMessages() {
    noClasses().that().resideInAPackage("io.portal.transport..")
        .should().dependOnClassesThat().resideInAnyPackage("io.portal.codec..", "io.portal.protocol..",
            "io.portal.connection..", "io.portal.store..", "io.portal.server..")
        .check(classes);
  }

  @Test
  void storeNeverSeesWireClassesNorTheCluster() {
    noClasses().that().resideInAPackage("io.portal.store..")
        .should().dependOnClassesThat().resideInAnyPackage("io.portal.protocol..", "io.portal.codec..",
            "io.portal.connection..", "io.portal.transport..", "io.portal.server..", "io.portal.client..",
            "io.portal.cluster..", "org.apache.pekko.cluster..")
        .check(classes);
  }

  @Test
  void theJournalKnowsNoOtherPartOfPortal() {
    noClasses().that().resideInAPackage("io.portal.journal..")
        .should().dependOnClassesThat().resideInAnyPackage("io.portal.protocol..", "io.portal.codec..",
            "io.portal.connection..", "io.portal.transport..", "io.portal.server..", "io.portal.client..",
            "io.portal.cluster..", "io.portal.store..")
        .check(classes);
  }

  @Test
  void onlyTheServerKnowsTheClusterExists() {
    noClasses().that().resideOutsideOfPackages("io.portal.server..", "io.portal.cluster..")
        .should().dependOnClassesThat().resideInAPackage("io.portal.cluster..")
        .check(classes);
  }

  @Test
  void connectionDoesNotKnowSocketsOrTheServer() {
    noClasses().that().resideInAPackage("io.portal.connection..")
        .should().dependOnClassesThat().resideInAnyPackage("io.portal.transport..", "io.portal.server..",
            "io.portal.client..")
        .check(classes);
  }

  @Test
  void clientCliAndBenchNeverImportServerInternals() {
    noClasses().that().resideInAnyPackage("io.portal.client..", "io.portal.cli..", "io.portal.bench..")
        .should().dependOnClassesThat().resideInAnyPackage("io.portal.server..", "io.portal.connection..",
            "io.portal.store..", "io.portal.transport..", "io.portal.cluster..", "org.apache.pekko.actor..")
        .check(classes);
  }

  @Test
  void nothingImportsTheServerButMain() {
    noClasses().that().resideOutsideOfPackage("io.portal.server..")
        .and().doNotHaveFullyQualifiedName("io.portal.Main")
        .should().dependOnClassesThat().resideInAPackage("io.portal.server..")
        .check(classes);
  }
}
