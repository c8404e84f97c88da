package dev.rerankqueue.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ApiKeysTest {

    @Test
    void mapsKeysToTenantsInPlainAndHashedForm() {
        ApiKeys keys = ApiKeys.parse(List.of("acme:k1", " globex:" + ApiKeys.hashed("k2") + " "));
        assertEquals(Optional.of("acme"), keys.tenantOf("k1"));
        assertEquals(Optional.of("globex"), keys.tenantOf("k2"));
        assertEquals(Optional.empty(), keys.tenantOf("k3"));
        assertEquals(Optional.empty(), keys.tenantOf(""));
        assertFalse(keys.isEmpty());
        assertTrue(ApiKeys.parse(List.of()).isEmpty());
    }

    @Test
    void malformedEntriesFailWithoutShowingTheKey() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ApiKeys.parse(List.of("secret-without-tenant")));
        assertFalse(e.getMessage().contains("secret-without-tenant"));
        assertThrows(
                IllegalArgumentException.class, () -> ApiKeys.parse(List.of("acme:sha256:abc")));
        assertThrows(IllegalArgumentException.class, () -> ApiKeys.parse(List.of("bad tenant:k")));
    }
}
