// The official cohere-ai SDK, pointed at rerank-queue by its base URL: the only change a Cohere user makes.
// Usage: node rerank.mjs <base-url> <api-key>. Prints one JSON line per check; exits 1 if any failed.
import { CohereClient, CohereClientV2, CohereError } from "cohere-ai";

const [baseUrl, token] = process.argv.slice(2);
const docs = [
  "Carson City is the capital city of the American state of Nevada.",
  "The Commonwealth of the Northern Mariana Islands is a group of islands in the Pacific Ocean. Its capital is Saipan.",
  "Capitalization or capitalisation in English grammar is the use of a capital letter at the start of a word.",
  "Washington, D.C. (also known as simply Washington or D.C.) is the capital of the United States. It is a federal district.",
  "Capital punishment has existed in the United States since before the United States was a country.",
];
const query = "What is the capital of the United States?";
let failed = 0;

function check(name, ok, details) {
  console.log(JSON.stringify({ check: name, ok, ...details }));
  if (!ok) failed++;
}

function sortedDescending(results) {
  return results.every((r, i) => i === 0 || results[i - 1].relevanceScore >= r.relevanceScore);
}

const v2 = new CohereClientV2({ token, baseUrl, maxRetries: 0 });
const r2 = await v2.rerank({ model: "rerank-v3.5", query, documents: docs, topN: 3 });
check("v2.rerank", r2.results.length === 3 && r2.results[0].index === 3 && sortedDescending(r2.results)
    && typeof r2.id === "string" && r2.meta?.billedUnits?.searchUnits === 1,
  { top: r2.results.map((r) => r.index), id: r2.id, searchUnits: r2.meta?.billedUnits?.searchUnits });

const v1 = new CohereClient({ token, baseUrl, maxRetries: 0 });
const r1 = await v1.rerank({ query, documents: docs.map((text) => ({ text })), topN: 2, returnDocuments: true });
check("v1.rerank", r1.results.length === 2 && r1.results[0].index === 3 && sortedDescending(r1.results)
    && r1.results[0].document?.text === docs[3],
  { top: r1.results.map((r) => r.index), document: r1.results[0].document?.text });

const titles = ["Nevada", "Northern Mariana Islands", "Capitalization", "Washington, D.C.", "Capital punishment"];
const objects = docs.map((text, i) => ({ title: titles[i], text, source: `doc-${i}` }));
const rf = await v1.rerank({ query, documents: objects, rankFields: ["title", "text"], topN: 2, returnDocuments: true });
check("v1.rerank object documents by rankFields", rf.results[0].index === 3
    && rf.results[0].document?.title === titles[3] && rf.results[0].document?.source === "doc-3",
  { top: rf.results.map((r) => r.index), document: rf.results[0].document });

try {
  await v2.rerank({ model: "rerank-v3.5", query, documents: [] });
  check("v2.rerank rejects empty documents", false, { error: "no error" });
} catch (e) {
  // the SDK's error carries the parsed body; Cohere's API puts the explanation in "message"
  const message = e.body?.message ?? "";
  check("v2.rerank rejects empty documents", e instanceof CohereError && e.statusCode === 422 && message.includes("documents"),
    { status: e.statusCode, name: e.constructor.name, message });
}

try {
  await v2.rerank({ model: "rerank-nonexistent-v9", query, documents: docs });
  check("an unknown model is 404, as Cohere answers it", false, { error: "no error" });
} catch (e) {
  const message = e.body?.message ?? "";
  check("an unknown model is 404, as Cohere answers it",
    e instanceof CohereError && e.statusCode === 404 && message.includes("rerank-nonexistent-v9"),
    { status: e.statusCode, name: e.constructor.name, message });
}

try {
  await new CohereClientV2({ token: "wrong-key", baseUrl, maxRetries: 0 }).rerank({ model: "m", query, documents: docs });
  check("a wrong key is refused", false, { error: "no error" });
} catch (e) {
  check("a wrong key is refused", e instanceof CohereError && e.statusCode === 401, { status: e.statusCode, name: e.constructor.name });
}

process.exit(failed === 0 ? 0 : 1);
