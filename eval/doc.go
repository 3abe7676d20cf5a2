// Package eval evaluates a policy on question-answering datasets the way
// the ReSearch paper does (its Table 2): the ReSearch loop and FlashRAG's
// four baselines — naive generation, naive RAG, Iter-RetGen and IRCoT —
// each prompt, iteration count and answer extraction as the ReSearch
// repository's vendored FlashRAG has them (github.com/Agent-RL/ReCall,
// branch re-search: scripts/evaluation/run_eval.py, src/flashrag/pipeline,
// src/flashrag/prompt/base_prompt.py); EM, F1 and cover-EM from package
// reward; the LLM judge from eval/judge; results one JSONL line per
// question, resumable; and reports in Table 2's layout with a run manifest.
//
// Decoding is greedy. The budget is 8,192 generated tokens per call for
// the baselines (FlashRAG passes generator_max_input_len as
// max_new_tokens) and 8,192 response tokens, inserted results included,
// for ReSearch (the paper's budget; FlashRAG's ReSearchPipeline counts the
// prompt in it too).
//
// Differences from FlashRAG, on purpose:
//   - baseline prompts longer than Config.MaxPromptTokens (8,192, FlashRAG's
//     generator_max_input_len) are cut to their first and last halves on
//     token ids, where FlashRAG decodes both halves without special tokens
//     and re-encodes them;
//   - IRCoT does not search for an empty thought (FlashRAG's server
//     answers 400 and the pipeline raises); a thought of blanks is
//     searched, as FlashRAG does;
//   - questions run concurrently, each through all of its iterations,
//     where FlashRAG runs every question's iteration i before any i+1; with
//     greedy decoding the results are the same.
package eval
