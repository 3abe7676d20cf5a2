// llama.cpp generation speed with its default precision (F16 KV cache), logits computed every step
// as in real generation: a P-token prompt, then D greedy tokens.
// Usage: [T=threads] [BS=batch] node llama_speed.mjs MODEL.gguf P D
//   -> {"prefill_tokens_per_s", "decode_tokens_per_s", "decode_no_logits_tokens_per_s"}
// decode_no_logits is ../shared/tools/llamacpp/speed.mjs's figure: single-token evaluations that skip the
// LM head (for Qwen2.5-0.5B, 545 MB of the 2 GB of f32 weights read per token).
import { getLlama } from 'node-llama-cpp'
const [path, P_s, D_s] = process.argv.slice(2); const P = Number(P_s || 512), D = Number(D_s || 32)
const threads = Number(process.env.T || 2), batchSize = Number(process.env.BS || 128)
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' })
const model = await llama.loadModel({ modelPath: path })
const ids = Array.from({ length: P }, (_, i) => (i * 7919 + 13) % 1000)

// Generation: the first token comes after the prefill, then D more, each with logits.
let ctx = await model.createContext({ contextSize: P + D + 8, batchSize, threads })
let seq = ctx.getSequence()
const gen = seq.evaluate(ids, { temperature: 0 })
const t0 = performance.now()
await gen.next()
const t1 = performance.now()
for (let i = 0; i < D; i++) await gen.next()
const t2 = performance.now()
await gen.return()
await ctx.dispose()

// Single-token evaluations without logits, as speed.mjs measures them.
ctx = await model.createContext({ contextSize: P + D + 8, batchSize, threads })
seq = ctx.getSequence()
await seq.evaluateWithoutGeneratingNewTokens(ids)
const t3 = performance.now()
for (let i = 0; i < D; i++) await seq.evaluateWithoutGeneratingNewTokens([(i * 31 + 5) % 1000])
const t4 = performance.now()
console.log(JSON.stringify({ threads, batch: batchSize, prefill_tokens_per_s: P / ((t1 - t0) / 1000),
  decode_tokens_per_s: D / ((t2 - t1) / 1000), decode_no_logits_tokens_per_s: D / ((t4 - t3) / 1000) }))
