// Package trainer runs reinforcement learning with search, the paper's
// GRPO recipe by default. A step runs four stages over one Batch:
//
//   - rollout: the ReSearch loop over a batch of questions, on the
//     Backend's sampler (Trainer.rollouts);
//   - reward: a score.Scorer gives each trajectory its reward, with DAPO's
//     overlong penalty when configured (newBatch);
//   - advantage: group advantages of the rewards, groups keyed by
//     question (updater.prepare);
//   - update: the clipped-surrogate loss with a KL term to the frozen
//     initial policy and an entropy bonus, as forward-backward passes and
//     optimizer steps on the Backend (updater).
//
// The Backend holds the weights: Local is the in-process engine, Remote a
// Tinker-compatible training service (backend.url) driven through
// tinker/client. The trainer
// validates, checkpoints, resumes, logs metrics and plots curves as it
// goes.
//
// Three packages train: this one is the reinforcement-learning loop;
// train is the optimizer mechanics under it (through Local); pretrain
// makes the synthetic world's base policy that this loop then trains.
package trainer
