// The cohere-ai SDK at its DEFAULT retry settings (two retries of a 408/409/429/5xx, with backoff), against a gateway
// whose sync timeout is shorter than the job takes: every attempt ends in 504. Prints one JSON line with the outcome.
// Usage: node retry.mjs <base-url> <api-key> <query>
import { CohereClientV2, CohereError } from "cohere-ai";

const [baseUrl, token, query] = process.argv.slice(2);
const client = new CohereClientV2({ token, baseUrl });
const documents = ["Lima is the capital of Peru.", "Bread is baked.", "Peru lies on the Pacific coast."];
try {
  const r = await client.rerank({ model: "rerank-v3.5", query, documents });
  console.log(JSON.stringify({ outcome: "answered", top: r.results[0]?.index }));
} catch (e) {
  const body = e.body ?? {};
  console.log(JSON.stringify({ outcome: "error", status: e instanceof CohereError ? e.statusCode : null, job_id: body.job_id ?? null,
    type: body.type ?? null }));
}
