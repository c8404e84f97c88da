// The rerankers of LangChain.js and LlamaIndex.TS that wrap the cohere-ai SDK, pointed at rerank-queue: a RAG
// pipeline's retriever step switched by its base URL. Usage: node wrappers.mjs <base-url> <api-key>. Prints one JSON
// line per check; exits 1 if any failed.
import { CohereClient } from "cohere-ai";
import { CohereRerank as LangChainRerank } from "@langchain/cohere";
import { Document } from "@langchain/core/documents";
import { CohereRerank as LlamaIndexRerank } from "@llamaindex/cohere";
import { TextNode } from "llamaindex";

const [baseUrl, token] = process.argv.slice(2);
const docs = [
  "Carson City is the capital city of the American state of Nevada.",
  "The Commonwealth of the Northern Mariana Islands is a group of islands in the Pacific Ocean. Its capital is Saipan.",
  "Washington, D.C. (also known as simply Washington or D.C.) is the capital of the United States. It is a federal district.",
  "Capital punishment has existed in the United States since before the United States was a country.",
];
const query = "What is the capital of the United States?";
let failed = 0;

function check(name, ok, details) {
  console.log(JSON.stringify({ check: name, ok, ...details }));
  if (!ok) failed++;
}

// LangChain: a document compressor over the v1 client, with Cohere's chunking parameter
const langchain = new LangChainRerank({
  client: new CohereClient({ token, baseUrl, maxRetries: 0 }),
  model: "rerank-english-v3.0",
  topN: 2,
  maxChunksPerDoc: 4,
});
const compressed = await langchain.compressDocuments(
  docs.map((text, i) => new Document({ pageContent: text, metadata: { source: `doc-${i}` } })), query);
check("langchain CohereRerank.compressDocuments", compressed.length === 2
    && compressed[0].metadata.source === "doc-2" && typeof compressed[0].metadata.relevanceScore === "number"
    && compressed[0].metadata.relevanceScore >= compressed[1].metadata.relevanceScore,
  { top: compressed.map((d) => d.metadata.source), scores: compressed.map((d) => d.metadata.relevanceScore) });
const ranked = await langchain.rerank(docs, query);
check("langchain CohereRerank.rerank", ranked.length === 2 && ranked[0].index === 2,
  { ranked });

// LlamaIndex: a node postprocessor with its own client, given the base URL
const llamaindex = new LlamaIndexRerank({ apiKey: token, baseUrl, topN: 2, model: "rerank-english-v3.0" });
const nodes = await llamaindex.postprocessNodes(docs.map((text) => ({ node: new TextNode({ text }), score: 0 })), query);
check("llamaindex CohereRerank.postprocessNodes", nodes.length === 2 && nodes[0].node.getContent() === docs[2]
    && nodes[0].score >= nodes[1].score,
  { top: nodes.map((n) => n.node.getContent().slice(0, 20)), scores: nodes.map((n) => n.score) });

process.exit(failed === 0 ? 0 : 1);
