// Package rollout runs the ReSearch agent loop: a policy writes until it
// closes a search (</search>) or ends its turn (EOS); the environment
// extracts the query, searches, and inserts the rendered results, which the
// policy reads but is never trained on; the loop repeats until EOS, the
// token budget or the turn limit.
//
// Each trajectory runs in its own goroutine and blocks on two shared
// services: the Policy, which an in-process engine implements by stepping
// every waiting sequence together (continuous batching), and a search
// batcher that merges the queries of many trajectories into one retriever
// call. In Synchronous mode the batcher waits until every live trajectory
// is searching or finished, which reproduces the reference's rounds: all
// sequences generate, one batched search, all continue.
//
// Differences from the reference (veRL fork, vllm_rollout.py), on purpose:
//   - each sequence gets its own remaining budget, not the largest of the
//     round (the tokens kept are the same; none are generated in vain);
//   - an optional limit on search turns (Config.MaxTurns);
//   - an empty query gets Config.EmptyQueryText instead of reaching the
//     retriever (where FlashRAG's server answers 400 and the reference
//     crashes after its retries);
//   - a failing retriever is retried with backoff, then an error text is
//     inserted and the trajectory is flagged (Trajectory.SearchFailed),
//     instead of raising.
package rollout
