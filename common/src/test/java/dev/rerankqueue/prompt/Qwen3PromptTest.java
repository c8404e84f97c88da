package dev.rerankqueue.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Qwen3PromptTest {

    @Test
    void theTextsInsideAPairAreFoundAgainAsTheyWereWrapped() {
        String query = Qwen3Prompt.queryText(Qwen3Prompt.DEFAULT_INSTRUCTION, "capital of France");
        String document = Qwen3Prompt.documentText("Paris is the capital of France.");
        assertTrue(query.startsWith("<|im_start|>system\n"), query);
        assertTrue(query.contains("<Instruct>: " + Qwen3Prompt.DEFAULT_INSTRUCTION + "\n"), query);
        assertTrue(document.endsWith("<think>\n\n</think>\n\n"), document);
        assertEquals("capital of France", Qwen3Prompt.queryOf(query));
        assertEquals("Paris is the capital of France.", Qwen3Prompt.documentOf(document));
        assertEquals("plain", Qwen3Prompt.queryOf("plain"), "text outside the template");
        assertEquals("plain", Qwen3Prompt.documentOf("plain"));
    }

    @Test
    void theTemplateCharactersAreWhatItAddsAroundThePair() {
        String instruction = "rank";
        String q = "q";
        String d = "doc";
        assertEquals(
                Qwen3Prompt.TEMPLATE_CHARS + instruction.length() + q.length() + d.length(),
                Qwen3Prompt.queryText(instruction, q).length()
                        + Qwen3Prompt.documentText(d).length());
    }
}
