package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"research/rl/trainer"
)

func init() { rootCmd.AddCommand(newTrainCmd()) }

func newTrainCmd() *cobra.Command {
	var (
		configPath string
		sets       []string
		resume     bool
	)
	cmd := &cobra.Command{
		Use:   "train --config FILE.yaml [--set key=value]… [--resume]",
		Short: "Train a policy to reason with search (GRPO, the paper's recipe by default)",
		Long: `Train runs reinforcement learning with search: every step rolls out a batch
of questions through the ReSearch loop on the in-process engine, scores them,
normalises rewards within each question's group of rollouts, and updates the
policy with the clipped surrogate loss, a k3 KL term to the frozen initial
policy and an entropy bonus, with AdamW.

With backend.url the weights live on a Tinker-compatible training service
(Tinker, SkyRL tx, research serve-tinker): it trains LoRA adapters of rank
backend.lora_rank with its ppo or importance_sampling loss, samples every
turn of the rollouts, and keeps the checkpoints (their tinker:// paths go to
checkpoints/). Its losses have no KL term and no entropy bonus: set
algorithm.kl none and algorithm.entropy_coef 0 (algorithm.kl_in_reward
charges the KL in the reward instead), and rollout.temperature 1.

The YAML config (keys below; unknown keys are errors) is read over the
defaults, then --set overrides apply (dotted keys, YAML values). The resolved
config is written to train.out/config.yaml, metrics to metrics.jsonl, curves
to plots/*.png, rollouts to rollouts/, checkpoints to checkpoints/ (the last
train.keep, and best/ by validation reward). Ctrl-C or SIGTERM saves a
checkpoint of the last finished step and exits; --resume continues from the
newest checkpoint with the same data order and sampling.

  data:      {train: [files], val: [files], val_size: 0}
  model, tokenizer, template (instruct|base), eos_text
  retriever: {index: DIR | url: URL, protocol: flashrag|search-r1, top_k: 5,
              method: bm25|dense|hybrid, dense_index: DIR, encoder: DIR | embed_url: URL, embed_model,
              embed_api_key, embed_retries, pooling: mean|cls, no_normalize, max_len: 512, query_prefix,
              ef: 0 (exact), rrf_k: 60, no_verify}
  rollout:   {n: 5, max_response_tokens: 8192, max_turns: 0, temperature: 1, top_p: 1, synchronous: false, max_concurrent: 0,
              seed_per_turn: (true with backend.url, else false)}
  algorithm: {advantage: grpo|rloo|reinforce_plus_plus_baseline, clip_low: 0.2, clip_high: 0.2,
              kl: k3|k2|k1|none, kl_coef: 0.001, entropy_coef: 0.001,
              aggregation: token-mean|seq-mean-token-mean|seq-mean-token-sum-norm, norm_tokens: 0,
              state_masking: true (false: inserted results in the loss), skip_zero_advantage: false,
              filter_groups: {enable: false, metric: seq_reward|seq_final_reward|score|acc, max_num_gen_batches: 10},
              kl_in_reward: false, kl_penalty: kl|mse|low_var_kl, kl_ctrl: {type: fixed, kl_coef: 0.001}}
  reward_model: {overlong_buffer: {enable: false, len: 4096, penalty_factor: 1}}
  optim:     {lr: 1e-6, schedule: constant|linear|cosine, warmup_steps: 0, betas: [0.9, 0.999], eps: 1e-8,
              weight_decay: 0.01, max_grad_norm: 1, recompute: false}
  lora:      {rank: 0 (full fine-tuning), alpha: 16, targets: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]}
  train:     {steps: 100, batch_size: 8, mini_batches: 1, ppo_epochs: 1, micro_batch_tokens: 16384, seed: 1,
              out: runs/train, val_every: 10, save_every: 10, keep: 3, plot_every: 1,
              collapse: {action: off|stop|rollback, margin: 0.3, window: 5}}
  backend:   {url: "" (in process) | URL, api_key: ($TINKER_API_KEY), base_model: (the model directory's name),
              lora_rank: (lora.rank), loss: ppo|importance_sampling}`,
		Example: `  research train --config train.yaml
  research train --config train.yaml --set rollout.n=8 --set optim.lr=2e-6
  research train --config train.yaml --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := trainer.Load(configPath, sets)
			if err != nil {
				return err
			}
			t, err := trainer.New(cfg)
			if err != nil {
				return err
			}
			defer t.Close()
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			err = t.Run(ctx, resume)
			if err != nil && ctx.Err() != nil {
				// The status says the run did not finish, though it saved.
				if err == ctx.Err() {
					err = errors.New("the last finished step is saved; continue with --resume")
				}
				return interrupted(ctx, fmt.Errorf("train: %w", err))
			}
			return err
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML config file")
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override a config key: key=value (repeatable)")
	cmd.Flags().BoolVar(&resume, "resume", false, "continue from the newest checkpoint in train.out")
	return cmd
}
